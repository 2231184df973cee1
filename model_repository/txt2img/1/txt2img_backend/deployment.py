"""Where the model's code comes from and what it serves, from the model's config and the environment.

Import paths: Triton's Python-backend stub runs the system libpython in isolated mode: it ignores
PYTHONPATH and never sees the virtualenv. So before anything imports numpy, the model puts the
venv's site-packages and the repository root on sys.path itself (`make_dependencies_importable`).
Standard library only, this whole module: nothing else is importable yet.

Which pipeline a Triton instance serves, from which weights, on which device (`settle`): one model
repository (baked into the Triton image) serves every deployment: the config's string parameters
are the defaults, and the environment the Kubernetes overlay sets overrides them (deploy/k8s/gpu
mounts Stable Diffusion weights from a volume and names them here). The device is the one Triton
gave this model instance: `instance_group { kind: KIND_GPU }` puts one instance on each GPU
(configs/gpu.pbtxt, chosen with `tritonserver --model-config-name=gpu`). KIND_CPU (config.pbtxt)
assigns no device: the pipeline picks its own (Stable Diffusion takes CUDA when the process sees a
GPU, as bench/bench_sd_triton_gpu.py relies on; the small pipelines stay on the CPU).
"""

from __future__ import annotations

import os
import re
import site
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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


# Set by tools/devstack/triton.py: the launching interpreter's site-packages, os.pathsep-separated.
# Isolated mode ignores PYTHON* variables only; the stub still inherits the environment.
SITE_PACKAGES_ENV = "ATELIER_SITE_PACKAGES"

_STRING_PARAMETER = re.compile(r'key:\s*"(?P<key>\w+)"\s*value:\s*\{\s*string_value:\s*"(?P<value>[^"]*)"\s*\}')


def make_dependencies_importable(model_version_dir: Path) -> None:
    """model_version_dir is `<repository>/txt2img/1`, the directory holding model.py."""
    # The stub imports model.py (to auto-complete the config) before Triton hands the model its
    # parsed config, so the parameters are read from the file.
    parameters = read_string_parameters(model_version_dir.parent / "config.pbtxt")
    for directory in reversed(site_packages_dirs(parameters)):
        _put_first(directory)
    root = repo_root(model_version_dir, parameters)
    if root is not None:
        _put_first(root)


def read_string_parameters(config_path: Path) -> dict[str, str]:
    if not config_path.is_file():
        return {}
    text = config_path.read_text(encoding="utf-8")
    return {m["key"]: m["value"] for m in _STRING_PARAMETER.finditer(text)}


def site_packages_dirs(parameters: dict[str, str]) -> list[Path]:
    explicit = parameters.get("venv_site_packages", "").strip()
    if explicit:
        path = Path(explicit)
        if not path.is_dir():
            raise FileNotFoundError(f"venv_site_packages {explicit!r} is not a directory")
        return [path]
    from_environment = [Path(p) for p in os.environ.get(SITE_PACKAGES_ENV, "").split(os.pathsep) if p]
    found: list[Path] = []
    for candidate in (*from_environment, _site_packages_holding_backend(), _repo_venv_site_packages()):
        if candidate is not None and candidate.is_dir() and candidate.resolve() not in found:
            found.append(candidate.resolve())
    # In the Triton image: ATELIER_SITE_PACKAGES, where its Dockerfile target installs requirements/triton.txt.
    return found


def repo_root(model_version_dir: Path, parameters: dict[str, str]) -> Path | None:
    explicit = parameters.get("repo_root", "").strip()
    if explicit:
        return Path(explicit)
    root = model_version_dir.resolve().parents[2]
    return root if (root / "imagemodel").is_dir() else None


def _site_packages_holding_backend() -> Path | None:
    # The stub puts the python backend's own directory on sys.path; with the nvidia-pytriton wheel
    # that is <venv>/lib/python3.X/site-packages/pytriton/tritonserver/backends/python.
    for entry in sys.path:
        path = Path(entry)
        if path.name == "python" and path.parent.name == "backends":
            for ancestor in path.parents:
                if ancestor.name in ("site-packages", "dist-packages"):
                    return ancestor
    return None


def _repo_venv_site_packages() -> Path:
    repo = Path(__file__).resolve().parents[4]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return repo / ".venv" / "lib" / version / "site-packages"


def _put_first(directory: Path) -> None:
    entry = str(directory)
    if entry in sys.path:
        return
    before = list(sys.path)
    site.addsitedir(entry)  # also runs the directory's .pth files
    added = [path for path in sys.path if path not in before]
    # Ahead of the system's dist-packages, which may hold other versions of the same packages.
    sys.path[:] = added + before
