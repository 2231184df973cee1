"""A Triton model's settings: the deployment's environment over the model config's parameters, so one
model repository (baked into the Triton image) serves every deployment; the Kubernetes overlays set
the environment (as txt2img's deployment module does for txt2img)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelSettings:
    parameters: Mapping[str, str]  # the config's string parameters
    environ: Mapping[str, str]
    env_prefix: str  # ATELIER_<MODEL>: ATELIER_UPSCALE_PIPELINE overrides upscale's `pipeline`

    @classmethod
    def of(cls, args: Mapping[str, Any], model_name: str, environ: Mapping[str, str] = os.environ) -> ModelSettings:
        """args: what Triton hands TritonPythonModel.initialize (the config as JSON in model_config)."""
        config = json.loads(args["model_config"])
        parameters = {key: value.get("string_value", "") for key, value in config.get("parameters", {}).items()}
        return cls(parameters, environ, f"ATELIER_{model_name.upper()}")

    def setting(self, key: str, default: str = "") -> str:
        """The environment's <prefix>_<KEY>, else the config's parameter, else default (empty counts as unset)."""
        return self.environ.get(f"{self.env_prefix}_{key.upper()}") or self.parameters.get(key) or default

    def parameter(self, key: str, default: str = "") -> str:
        """The config's parameter alone: settings no deployment overrides."""
        return self.parameters.get(key) or default
