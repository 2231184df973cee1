"""NVIDIA Triton Inference Server, the tritonserver binary shipped in the nvidia-pytriton wheel."""

from __future__ import annotations

import ctypes.util
import importlib.util
import json
import logging
import os
import re
import shutil
import site
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tools.devstack.process import (
    LOOPBACK,
    ManagedProcess,
    ServerStartError,
    ensure_port_free,
    log_tail,
    wait_until_ready,
)

log = logging.getLogger(__name__)

EXIT_TIMEOUT_SECONDS = 5

# The Python backend's stub runs the system's libpython in isolated mode and ignores PYTHONPATH, so
# a model.py that needs numpy/torch puts these directories (os.pathsep-separated) on sys.path itself.
SITE_PACKAGES_ENV = "ATELIER_SITE_PACKAGES"


def pytriton_tritonserver_dir() -> Path:
    # Located without importing pytriton, whose import pulls in far more than a path.
    spec = importlib.util.find_spec("pytriton")
    if spec is None or not spec.submodule_search_locations:
        raise ServerStartError("nvidia-pytriton is not installed; run ./atelierctl bootstrap")
    return Path(spec.submodule_search_locations[0]) / "tritonserver"


def ensure_python_backend_stub(tritonserver_dir: Path) -> None:
    """The wheel ships one stub per Python version; the python backend looks for it beside itself."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if ctypes.util.find_library(f"python{version}") is None:
        log.warning("libpython%s is missing: Python models will fail to load; run ./atelierctl bootstrap", version)
    source = tritonserver_dir / "python_backend_stubs" / version / "triton_python_backend_stub"
    target = tritonserver_dir / "backends" / "python" / "triton_python_backend_stub"
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return
    staging = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.copy2(source, staging)
    os.replace(staging, target)  # atomic: parallel test runs may race here
    log.info("installed the Triton python backend stub for Python %s", version)


_LOAD_ERROR = re.compile(r'^E\d{4} .*?"(failed to load .*)"$')


def model_load_errors(log_path: Path, offset: int = 0) -> list[str]:
    """Triton's "failed to load" errors after offset, which its start-up tables push far above the
    log's tail."""
    try:
        with log_path.open("rb") as f:
            f.seek(offset)
            lines = f.read().decode("utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    return [match.group(1).replace("\\n", "\n") for match in map(_LOAD_ERROR.search, lines) if match is not None]


_MAX_BATCH_SIZE = re.compile(r"^max_batch_size:\s*\d+", re.MULTILINE)
_DYNAMIC_BATCHING = re.compile(r"^dynamic_batching\s*\{[^}]*\}\n?", re.MULTILINE)


def txt2img_repository(
    source: Path, target: Path, *, dynamic_batching: bool, max_batch_size: int = 8, queue_delay_us: int | None = None
) -> Path:
    """A model repository at target serving source's txt2img model (its code and weights, linked) with
    Triton's dynamic batcher on or off, whatever source's config.pbtxt ships; for the benchmarks and
    tests that compare the two. queue_delay_us: how long the batcher may hold a request for others to
    join it; None: as source's config says (0 when it does not batch). Returns target."""
    model = Path(target) / "txt2img"
    model.mkdir(parents=True)
    (model / "1").symlink_to((Path(source) / "txt2img" / "1").resolve(), target_is_directory=True)
    config = (Path(source) / "txt2img" / "config.pbtxt").read_text(encoding="utf-8")
    if _MAX_BATCH_SIZE.search(config) is None:
        raise ValueError(f"{source}/txt2img/config.pbtxt has no max_batch_size line to set")
    shipped = _DYNAMIC_BATCHING.search(config)
    config = _DYNAMIC_BATCHING.sub("", config)
    config = _MAX_BATCH_SIZE.sub(f"max_batch_size: {max_batch_size if dynamic_batching else 0}", config)
    if dynamic_batching:
        if queue_delay_us is not None:
            config += f"\ndynamic_batching {{ max_queue_delay_microseconds: {queue_delay_us} }}\n"
        else:
            config += "\n" + (shipped.group(0).strip() if shipped else "dynamic_batching { }") + "\n"
    (model / "config.pbtxt").write_text(config, encoding="utf-8")
    return Path(target)


class TritonServer:
    port_settings = {
        "http": "ATELIER_TRITON_HTTP_PORT",
        "grpc": "ATELIER_TRITON_GRPC_PORT",
        "metrics": "ATELIER_TRITON_METRICS_PORT",
    }

    def __init__(
        self,
        model_repository: Path,
        http_port: int,
        grpc_port: int,
        metrics_port: int,
        data_dir: Path,
        *,
        die_with_parent: bool = True,
        pipeline: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.model_repository = Path(model_repository).absolute()
        # For the model (e.g. ATELIER_TXT2IMG_HOLD_S, which holds each batch to stand in for a busy GPU).
        self.extra_env = dict(extra_env or {})
        # Overrides the txt2img model's configured pipeline (ATELIER_TXT2IMG_PIPELINE).
        self.pipeline = pipeline
        self.http_port = http_port
        self.grpc_port = grpc_port
        self.metrics_port = metrics_port
        self.data_dir = Path(data_dir).absolute()
        self.die_with_parent = die_with_parent
        self._process: ManagedProcess | None = None
        self._log_offset = 0  # where this run's lines start in the appended log

    @property
    def grpc_url(self) -> str:
        return f"{LOOPBACK}:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "triton.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def model_names(self) -> list[str]:
        return sorted(p.parent.name for p in self.model_repository.glob("*/config.pbtxt"))

    def is_running(self) -> bool:
        return self._process is not None and self._process.is_running()

    def start(self, timeout: float = 300.0) -> None:
        self.launch()
        self.wait_until_ready(timeout)

    def launch(self) -> None:
        """Start the process without waiting, so a caller can start other servers while models load."""
        if not self.model_repository.is_dir():
            raise ServerStartError(f"Triton model repository {self.model_repository} does not exist")
        for endpoint, port in (("http", self.http_port), ("grpc", self.grpc_port), ("metrics", self.metrics_port)):
            ensure_port_free(port, server=f"triton {endpoint}", setting=self.port_settings[endpoint])
        self.data_dir.mkdir(parents=True, exist_ok=True)
        server_dir = pytriton_tritonserver_dir()
        ensure_python_backend_stub(server_dir)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._process = ManagedProcess(
            "triton",
            [
                server_dir / "bin" / "tritonserver",
                f"--model-repository={self.model_repository}",
                f"--backend-directory={server_dir / 'backends'}",
                "--model-control-mode=none",
                f"--http-address={LOOPBACK}",
                f"--http-port={self.http_port}",
                f"--grpc-address={LOOPBACK}",
                f"--grpc-port={self.grpc_port}",
                f"--metrics-address={LOOPBACK}",
                f"--metrics-port={self.metrics_port}",
                # Latency summaries (quantiles of queue, compute and request time), off by default.
                "--metrics-config=summary_latencies=true",
                f"--exit-timeout-secs={EXIT_TIMEOUT_SECONDS}",
            ],
            self.log_path,
            env=self._environment(server_dir),
            cwd=self.data_dir,
            die_with_parent=self.die_with_parent,
        )
        self._process.start()

    def wait_until_ready(self, timeout: float = 300.0) -> None:
        assert self._process is not None, "launch() first"
        try:
            wait_until_ready(
                self._all_models_ready,
                what=f"triton (models {', '.join(self.model_names) or 'none'})",
                timeout=timeout,
                log_path=self.log_path,
                is_alive=self._process.is_running,
                interval=0.25,
            )
        except ServerStartError as error:
            self.stop()
            load_errors = model_load_errors(self.log_path, self._log_offset)
            if not load_errors:
                raise
            raise ServerStartError(f"{error}\n\nmodels that failed to load:\n" + "\n".join(load_errors)) from None
        except BaseException:
            self.stop()
            raise
        log.info("triton ready at %s with models %s", self.grpc_url, self.model_names)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop(grace_seconds=EXIT_TIMEOUT_SECONDS + 10)
            self._process = None

    def executed_batches(self, model: str = "txt2img") -> dict[int, int]:
        """How many times Triton has called the model's execute() with a batch of each size (1: no
        batching; with dynamic batching, the requests that queued up together)."""
        with urllib.request.urlopen(f"{self.http_url}/v2/models/{model}/stats", timeout=5) as response:
            stats = json.load(response)["model_stats"][0]["batch_stats"]
        return {int(entry["batch_size"]): int(entry["compute_infer"]["count"]) for entry in stats}

    def _environment(self, server_dir: Path) -> dict[str, str]:
        env = dict(os.environ)
        libs = str(server_dir.parent.parent / "nvidia_pytriton.libs")
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [env.get("LD_LIBRARY_PATH"), libs]))
        env[SITE_PACKAGES_ENV] = os.pathsep.join(site.getsitepackages())
        if self.pipeline:
            env["ATELIER_TXT2IMG_PIPELINE"] = self.pipeline
        env.update(self.extra_env)
        return env

    def _all_models_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.http_url}/v2/health/ready", timeout=2) as response:
                if response.status != 200:
                    return False
            request = urllib.request.Request(f"{self.http_url}/v2/repository/index", data=b"{}", method="POST")
            with urllib.request.urlopen(request, timeout=2) as response:
                index = json.load(response)
        except (OSError, ValueError):
            return False
        states = {entry["name"]: entry.get("state") for entry in index}
        unavailable = [
            f"{entry['name']}: {entry.get('reason', 'unknown reason')}"
            for entry in index
            if entry.get("state") == "UNAVAILABLE"
        ]
        if unavailable:
            raise ServerStartError(
                f"triton could not load {'; '.join(unavailable)}; last lines of {self.log_path}:\n"
                f"{log_tail(self.log_path)}"
            )
        return all(states.get(name) == "READY" for name in self.model_names)
