"""What the Kubernetes overlays choose for Triton reaches the model: the pipeline and its weights from
the environment, the device from Triton's instance group (KIND_GPU on GPU nodes, KIND_CPU elsewhere)."""

from __future__ import annotations

import sys
from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parents[3] / "model_repository" / "txt2img"
sys.path.append(str(MODEL_DIR / "1"))  # where Triton's stub finds the helpers too

from txt2img_backend.deployment import PIPELINE_ENV, WEIGHTS_DIR_ENV, settle  # noqa: E402

CONFIG = {"pipeline": "tiny-diffusion"}
ON_CPU = {"model_instance_kind": "CPU", "model_instance_device_id": "0"}
ON_SECOND_GPU = {"model_instance_kind": "GPU", "model_instance_device_id": "1"}


def test_without_environment_the_config_decides() -> None:
    deployment = settle(CONFIG, {}, ON_CPU)
    assert (deployment.pipeline, deployment.device) == ("tiny-diffusion", None)  # KIND_CPU: no device assigned
    assert "weights_dir" not in deployment.parameters and "device" not in deployment.parameters


def test_the_overlay_environment_chooses_pipeline_and_weights() -> None:
    environ = {PIPELINE_ENV: "stable-diffusion", WEIGHTS_DIR_ENV: "/weights/stable-diffusion"}
    deployment = settle({**CONFIG, "weights_dir": "/baked/in"}, environ, ON_SECOND_GPU)
    assert deployment.pipeline == "stable-diffusion"
    assert deployment.parameters["weights_dir"] == "/weights/stable-diffusion"
    assert deployment.device == deployment.parameters["device"] == "cuda:1"


def test_an_empty_variable_leaves_the_config_alone() -> None:
    deployment = settle({**CONFIG, "weights_dir": "/baked/in"}, {WEIGHTS_DIR_ENV: "", PIPELINE_ENV: ""}, ON_CPU)
    assert (deployment.pipeline, deployment.parameters["weights_dir"]) == ("tiny-diffusion", "/baked/in")


def _without_comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_gpu_config_is_the_cpu_config_on_gpus() -> None:
    cpu = (MODEL_DIR / "config.pbtxt").read_text(encoding="utf-8")
    gpu = (MODEL_DIR / "configs" / "gpu.pbtxt").read_text(encoding="utf-8")
    assert "kind: KIND_CPU" in cpu and "kind: KIND_GPU" in gpu
    # Regenerate after editing config.pbtxt: keep gpu.pbtxt's header, then config.pbtxt with KIND_GPU.
    assert _without_comments(gpu) == _without_comments(cpu.replace("kind: KIND_CPU", "kind: KIND_GPU"))
