"""Every Atelier pod at its autoscaling maximum, plus the pods a rolling update adds, with every pool
full, still fits the Postgres server's max_connections (what is left to ordinary roles after the
superuser's reserved slots), for the base manifests and the dev overlay as kubectl renders them.
Also: the worker's drain ends before the kubelet's grace period does."""

from __future__ import annotations

import functools
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from glue.settings import DatabaseSettings
from services.feed.settings import FeedSettings
from services.generation.settings import GenerationSettings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
POSTGRES_DEFAULT_MAX_CONNECTIONS = 100  # what an operator's server has unless raised
SUPERUSER_RESERVED_CONNECTIONS = 3  # Postgres's default superuser_reserved_connections
# Processes that hold one connection beyond their pool: the outbox relay's LISTEN (glue/events.py).
OUTBOX_LISTENERS = {("services.generation", "api"), ("services.visibility",), ("services.billing",)}

Manifest = dict[str, Any]


@functools.cache
def rendered(overlay: str) -> tuple[Manifest, ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: cannot render the kustomizations")
    result = subprocess.run([kubectl, "kustomize", str(K8S / overlay)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc is not None)


@dataclass(frozen=True)
class Workload:
    name: str
    process: tuple[str, ...]  # ("services.generation", "worker")
    max_pods: int
    connections_per_pod: int

    @property
    def connections(self) -> int:
        return self.max_pods * self.connections_per_pod


def _default_pool(module: str) -> int:
    settings = FeedSettings if module == "services.feed" else DatabaseSettings
    return int(settings.model_fields["db_pool_size"].default)


def _env(container: Manifest, manifests: tuple[Manifest, ...], name: str) -> str | None:
    for entry in container.get("env", []):
        if entry["name"] == name:
            return str(entry["value"])
    maps = {m["metadata"]["name"]: m.get("data", {}) for m in manifests if m["kind"] == "ConfigMap"}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref and name in maps.get(ref["name"], {}):
            return str(maps[ref["name"]][name])
    return None


def _max_replicas(deployment: Manifest, manifests: tuple[Manifest, ...]) -> int:
    name = deployment["metadata"]["name"]
    for m in manifests:
        if m["kind"] == "HorizontalPodAutoscaler" and m["spec"]["scaleTargetRef"]["name"] == name:
            return int(m["spec"]["maxReplicas"])
        if m["kind"] == "ScaledObject" and m["spec"]["scaleTargetRef"]["name"] == name:
            return int(m["spec"]["maxReplicaCount"])
    return int(deployment["spec"].get("replicas", 1))


def _surge(deployment: Manifest, replicas: int) -> int:
    """Pods a rolling update adds on top (Kubernetes' default maxSurge: 25%, rounded up)."""
    strategy = deployment["spec"].get("strategy", {})
    if strategy.get("type") == "Recreate":
        return 0
    surge = strategy.get("rollingUpdate", {}).get("maxSurge", "25%")
    if isinstance(surge, str) and surge.endswith("%"):
        return math.ceil(replicas * int(surge[:-1]) / 100)
    return int(surge)


def workloads(manifests: tuple[Manifest, ...]) -> list[Workload]:
    found = []
    for deployment in (m for m in manifests if m["kind"] == "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            args = container.get("args", [])
            if args[:1] != ["-m"] or not args[1].startswith("services."):
                continue
            process = tuple(args[1:])
            pool = _env(container, manifests, "ATELIER_DB_POOL_SIZE")
            per_pod = int(pool) if pool is not None else _default_pool(process[0])
            per_pod += 1 if process in OUTBOX_LISTENERS else 0
            replicas = _max_replicas(deployment, manifests)
            found.append(
                Workload(deployment["metadata"]["name"], process, replicas + _surge(deployment, replicas), per_pod)
            )
    return found


def max_connections(manifests: tuple[Manifest, ...]) -> int:
    """The in-cluster Postgres's setting where the overlay runs one (`-c max_connections=N`), else
    the server default an operator's Postgres starts with."""
    for m in manifests:
        if m["kind"] == "StatefulSet" and m["metadata"]["name"] == "postgres":
            for container in m["spec"]["template"]["spec"]["containers"]:
                words = " ".join(container.get("args", []) + container.get("command", []))
                if found := re.search(r"max_connections=(\d+)", words):
                    return int(found.group(1))
    return POSTGRES_DEFAULT_MAX_CONNECTIONS


@pytest.mark.parametrize("overlay", ["base", "dev"])
def test_every_pool_at_the_autoscaling_maximum_fits_max_connections(overlay: str) -> None:
    manifests = rendered(overlay)
    found = workloads(manifests)
    assert {w.name for w in found} >= {
        "gateway",
        "generation-api",
        "generation-worker",
        "visibility",
        "feed",
        "billing",
    }
    budget = max_connections(manifests) - SUPERUSER_RESERVED_CONNECTIONS
    worst_case = sum(w.connections for w in found)
    breakdown = ", ".join(f"{w.name} {w.max_pods}×{w.connections_per_pod}" for w in found)
    assert worst_case <= budget, f"{overlay}: {worst_case} connections ({breakdown}) > {budget}"


def test_the_worker_drains_within_its_grace_period() -> None:
    worker = next(
        m for m in rendered("base") if m["kind"] == "Deployment" and m["metadata"]["name"] == "generation-worker"
    )
    grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    container = worker["spec"]["template"]["spec"]["containers"][0]
    configured = _env(container, rendered("base"), "ATELIER_WORKER_DRAIN_TIMEOUT_S")
    drain = float(configured) if configured else GenerationSettings.model_fields["worker_drain_timeout_s"].default
    # The rest of the grace: closing NATS and the pool after the drain.
    assert drain + 10 <= grace
