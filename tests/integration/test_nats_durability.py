"""The dev NATS's JetStream fsyncs every write by default (ATELIER_NATS_SYNC_INTERVAL), read back
from the running server's own /varz (issue 12: durability)."""

import shutil
import tempfile
from pathlib import Path

import httpx
import pytest

from tools.devstack import NatsServer, free_port

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("env", "sync_always", "interval_ns"),
    [({}, True, None), ({"ATELIER_NATS_SYNC_INTERVAL": "10s"}, False, 10_000_000_000)],
)
def test_sync_interval_is_the_settings(monkeypatch, env, sync_always, interval_ns) -> None:
    monkeypatch.delenv("ATELIER_NATS_SYNC_INTERVAL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    data = Path(tempfile.mkdtemp(prefix="atelier-nats-sync-"))
    server = NatsServer(data, free_port(), monitoring_port=free_port())
    server.start()
    try:
        config = httpx.get(f"http://127.0.0.1:{server.monitoring_port}/varz").json()["jetstream"]["config"]
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
    assert config.get("sync_always", False) is sync_always
    if interval_ns is not None:
        assert config["sync_interval"] == interval_ns
