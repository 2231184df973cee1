# Atelier's images, one target each (`docker build --target <name> .`):
#   service     the six services (gateway, generation API and worker, visibility, feed, billing, webhooks); the
#               Kubernetes manifests pick the process by its arguments (`-m services.gateway`, ...).
#               requirements/service.txt only: no torch, diffusers, test or lint tooling.
#   triton      NVIDIA Triton (GPU) with the model repository and the model's Python dependencies
#               (requirements/triton.txt); deploy/k8s/base/triton.yaml runs it.
#   triton-cpu  the same model repository served on the CPU by the nvidia-pytriton wheel's
#               tritonserver, for the dev overlay and clusters without GPUs.
# The default target (the last stage) is `service`; `service-live-update` is for the Tiltfile only.
# tests/unit/test_image_requirements.py checks that every module an image ships imports only what
# its requirements set installs, and that it ships every module its entry points reach.

ARG PYTHON_IMAGE=python:3.11-slim
# Triton 25.01 and later are built on Ubuntu 24.04 (Python 3.12), a version constraints.txt resolves for.
ARG TRITON_IMAGE=nvcr.io/nvidia/tritonserver:25.01-py3

# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS python-base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN groupadd --system --gid 10001 atelier \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin atelier

# ---------------------------------------------------------------------------------------------------
FROM ${TRITON_IMAGE} AS triton

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ATELIER_SITE_PACKAGES=/opt/atelier/site-packages

WORKDIR /opt/atelier
COPY requirements/triton.txt constraints.txt ./requirements/
# Into a directory of its own (the Python backend's stub finds it through ATELIER_SITE_PACKAGES,
# model_repository/txt2img/1/txt2img_backend/deployment.py) rather than the image's system Python,
# which Ubuntu marks externally managed. constraints.txt pins torch's CPU build (+cpu); here pip
# takes the CUDA build from PyPI instead, with every other pin kept.
RUN grep -v '^torch==' requirements/constraints.txt > requirements/constraints-gpu.txt \
 && python3 -m pip install --target "${ATELIER_SITE_PACKAGES}" \
        -c requirements/constraints-gpu.txt -r requirements/triton.txt

COPY imagemodel ./imagemodel
COPY upscaler ./upscaler
COPY describer ./describer
COPY segmenter ./segmenter
COPY serving ./serving
COPY model_repository ./model_repository
RUN python3 -m compileall -q imagemodel upscaler describer segmenter serving model_repository

# triton-server (uid 1000) is the image's unprivileged user; numeric for runAsNonRoot.
USER 1000:1000
ENTRYPOINT ["tritonserver"]
CMD ["--model-repository=/opt/atelier/model_repository"]

# ---------------------------------------------------------------------------------------------------
FROM python-base AS triton-cpu

# constraints.txt pins torch's CPU build (+cpu), which only PyTorch's own index serves.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
COPY constraints.txt ./
COPY requirements/triton.txt requirements/triton-cpu.txt ./requirements/
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" -c constraints.txt -r requirements/triton-cpu.txt

# The Python backend looks for the stub of the running Python version beside itself.
RUN tritonserver_dir="$(python -c 'import pathlib, pytriton; print(pathlib.Path(pytriton.__file__).parent / "tritonserver")')" \
 && cp "${tritonserver_dir}/python_backend_stubs/3.11/triton_python_backend_stub" "${tritonserver_dir}/backends/python/" \
 && ln -s "${tritonserver_dir}" /opt/tritonserver

WORKDIR /opt/atelier
COPY imagemodel ./imagemodel
COPY upscaler ./upscaler
COPY describer ./describer
COPY segmenter ./segmenter
COPY serving ./serving
COPY model_repository ./model_repository
RUN python -m compileall -q imagemodel upscaler describer segmenter serving model_repository

USER 10001:10001
ENTRYPOINT ["/opt/tritonserver/bin/tritonserver", "--backend-directory=/opt/tritonserver/backends"]
CMD ["--model-repository=/opt/atelier/model_repository"]

# ---------------------------------------------------------------------------------------------------
FROM python-base AS service

COPY constraints.txt ./
COPY requirements/service.txt ./requirements/
RUN pip install -c constraints.txt -r requirements/service.txt

COPY atelier ./atelier
COPY contracts ./contracts
COPY glue ./glue
COPY services ./services
# The generation API's prompt expander only (numpy and Pillow); the model itself lives in Triton.
COPY imagemodel/__init__.py imagemodel/captions.py imagemodel/magic_prompt.py imagemodel/style.py imagemodel/world.py ./imagemodel/
# Compiled now: at run time the root filesystem is read-only.
RUN python -m compileall -q atelier contracts glue services imagemodel

# Numeric, so that Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001

ENTRYPOINT ["python"]
CMD ["-m", "services.gateway"]

# ---------------------------------------------------------------------------------------------------
# For Tilt's live update only (Tiltfile): the service image with /app owned by the app user, so that
# edited code can be copied into a running container. Never deployed elsewhere.
FROM service AS service-live-update
USER 0
RUN chown -R 10001:10001 /app
USER 10001:10001

# ---------------------------------------------------------------------------------------------------
# The default target (the last stage): the service image as it is.
FROM service
