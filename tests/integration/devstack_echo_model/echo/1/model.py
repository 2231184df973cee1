import os
import sys

# The backend stub runs the system Python in isolated mode; numpy lives in the venv that
# tools.devstack.TritonServer names in ATELIER_SITE_PACKAGES.
for directory in os.environ.get("ATELIER_SITE_PACKAGES", "").split(os.pathsep):
    if directory and directory not in sys.path:
        sys.path.append(directory)

import numpy as np  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            values = pb_utils.get_input_tensor_by_name(request, "INPUT").as_numpy()
            doubled = pb_utils.Tensor("OUTPUT", (values * 2).astype(np.float32))
            responses.append(pb_utils.InferenceResponse(output_tensors=[doubled]))
        return responses
