"""Which pipeline a Triton instance serves, from which weights, on which device.

One model repository (baked into the Triton image) serves every deployment: the config's string
parameters are the defaults, and the environment the Kubernetes overlay sets overrides them
(deploy/k8s/gpu mounts Stable Diffusion weights from a volume and names them here). The device is
the one Triton gave this model instance: `instance_group { kind: KIND_GPU }` puts one instance on
each GPU (configs/gpu.pbtxt, chosen with `tritonserver --model-config-name=gpu`). KIND_CPU
(config.pbtxt) assigns no device: the pipeline picks its own (Stable Diffusion takes CUDA when the
process sees a GPU, as bench/bench_sd_triton_gpu.py relies on; the small pipelines stay on the CPU).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_PIPELINE = "procedural"
PIPELINE_ENV = "ATELIER_TXT2IMG_PIPELINE"
WEIGHTS_DIR_ENV = "ATELIER_TXT2IMG_WEIGHTS_DIR"


@dataclass(frozen=True)
class Deployment:
    pipeline: str
    parameters: dict[str, str]  # the config's string parameters, weights_dir and device settled
    device: str | None  # "cuda:<index>" for a KIND_GPU instance; None: the pipeline's own choice


def instance_device(args: Mapping[str, str]) -> str | None:
    """args: what Triton hands TritonPythonModel.initialize (model_instance_kind "GPU" or "CPU",
    model_instance_device_id)."""
    if args.get("model_instance_kind") == "GPU":
        return f"cuda:{int(args.get('model_instance_device_id') or 0)}"
    return None


def settle(config_parameters: Mapping[str, str], environ: Mapping[str, str], args: Mapping[str, str]) -> Deployment:
    parameters = dict(config_parameters)
    if environ.get(WEIGHTS_DIR_ENV):
        parameters["weights_dir"] = environ[WEIGHTS_DIR_ENV]
    pipeline = environ.get(PIPELINE_ENV) or parameters.get("pipeline") or DEFAULT_PIPELINE
    device = instance_device(args)
    if device is not None:
        parameters["device"] = device
    return Deployment(pipeline, parameters, device)
