"""Private destinations and plain http are a development allowance: off by default and in every
production manifest, on only in the local stack's webhooks process."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.webhooks.settings import WebhooksSettings
from tests.unit.test_k8s_manifests import VARIANTS, containers, workloads
from tools.devstack.config import Ports
from tools.devstack.service_processes import SERVICES
from tools.devstack.stack import Stack

ALLOWANCES = ("ATELIER_WEBHOOK_ALLOW_PRIVATE_ENDPOINTS", "ATELIER_WEBHOOK_ALLOW_PLAIN_HTTP")


def test_the_service_refuses_private_and_plain_http_endpoints_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALLOWANCES:
        monkeypatch.delenv(name, raising=False)
    settings = WebhooksSettings()
    assert (settings.webhook_allow_private_endpoints, settings.webhook_allow_plain_http) == (False, False)


@pytest.mark.parametrize("variant", ["base files", "kustomize base", "kustomize gpu"])
def test_no_production_manifest_allows_them(variant: str) -> None:
    manifests = VARIANTS[variant]()
    for workload in workloads(manifests):
        for container in containers(workload):
            assert not {e["name"] for e in container.get("env", [])} & set(ALLOWANCES), workload["metadata"]["name"]
    for config_map in (m for m in manifests if m["kind"] == "ConfigMap"):
        assert not set(config_map.get("data", {})) & set(ALLOWANCES)


def test_the_local_stack_allows_them_to_the_webhooks_process_only(tmp_path: Path) -> None:
    stack = Stack(tmp_path, Ports.from_env({}))
    for service in SERVICES:
        env = stack.service_environment(service)
        expected = "true" if service.name == "webhooks" else None
        assert [env.get(name) for name in ALLOWANCES] == [expected, expected], service.name
