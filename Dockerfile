# One image for every Atelier process; the Kubernetes manifests pick the process by its
# arguments (`-m services.gateway`, `-m services.generation worker`, ...). It also carries the
# Triton model repository, which the Triton pod copies from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# constraints.txt pins torch's CPU build (+cpu), which only PyTorch's own index serves. The services
# never run the model on a GPU themselves; Triton does.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" -r requirements.txt

# The tritonserver of the nvidia-pytriton wheel serves the model on the CPU in the dev overlay;
# its Python backend looks for the stub of the running Python version beside itself.
RUN tritonserver_dir="$(python -c 'import pathlib, pytriton; print(pathlib.Path(pytriton.__file__).parent / "tritonserver")')" \
 && cp "${tritonserver_dir}/python_backend_stubs/3.11/triton_python_backend_stub" "${tritonserver_dir}/backends/python/" \
 && ln -s "${tritonserver_dir}" /opt/tritonserver

COPY atelier ./atelier
COPY contracts ./contracts
COPY glue ./glue
COPY services ./services
COPY imagemodel ./imagemodel
COPY upscaler ./upscaler
COPY model_repository ./model_repository
# Compiled now: at run time the root filesystem is read-only.
RUN python -m compileall -q atelier contracts glue services imagemodel upscaler model_repository

RUN groupadd --system --gid 10001 atelier \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin atelier
# Numeric, so that Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001

ENTRYPOINT ["python"]
CMD ["-m", "services.gateway"]
