"""The local stack generates its secrets once, keeps them private, and gives each process only its own."""

import stat
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tools.devstack.config import Ports
from tools.devstack.secrets import SECRET_NAMES, SECRETS_FILE_NAME, load_or_create
from tools.devstack.service_processes import SERVICES
from tools.devstack.stack import Stack


def test_secrets_are_generated_once_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create(tmp_path, env={})
    assert set(first) == set(SECRET_NAMES)
    assert len(set(first.values())) == len(first), "every secret is drawn on its own"
    assert all(len(value) >= 24 for value in first.values())
    assert stat.S_IMODE((tmp_path / SECRETS_FILE_NAME).stat().st_mode) == 0o600
    assert load_or_create(tmp_path, env={}) == first
    assert load_or_create(tmp_path / "another", env={}) != first


def test_an_environment_override_wins_without_being_stored(tmp_path: Path) -> None:
    chosen = load_or_create(tmp_path, env={"ATELIER_S3_SECRET_KEY": "chosen-by-the-developer"})
    assert chosen["s3_secret_key"] == "chosen-by-the-developer"
    assert "chosen-by-the-developer" not in (tmp_path / SECRETS_FILE_NAME).read_text()


@pytest.fixture
def environments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    # Secrets in the developer's shell must not leak into every process either.
    monkeypatch.setenv("ATELIER_BILLING_WEBHOOK_SECRET", "whsec_from_the_shell_0123456789")
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://admin:admin-password@db/atelier")
    stack = Stack(tmp_path, Ports.from_env({}))
    return {service.name: stack.service_environment(service) for service in SERVICES}


def test_only_processes_that_store_images_get_the_object_store_keys(environments) -> None:
    holders = {name for name, env in environments.items() if "ATELIER_S3_SECRET_KEY" in env}
    assert holders == {"gateway", "generation-api", "generation-worker"}
    assert all("ATELIER_S3_ACCESS_KEY" not in env for name, env in environments.items() if name not in holders)


def test_only_billing_gets_the_webhook_secret(environments) -> None:
    holders = {name for name, env in environments.items() if "ATELIER_BILLING_WEBHOOK_SECRET" in env}
    assert holders == {"billing"}
    assert environments["billing"]["ATELIER_BILLING_WEBHOOK_SECRET"] == "whsec_from_the_shell_0123456789"


def test_no_process_inherits_the_shells_database_url(environments) -> None:
    assert all("admin-password" not in env["ATELIER_DATABASE_URL"] for env in environments.values())


def test_each_process_gets_its_own_nats_user_and_the_gateway_no_nats_at_all(environments) -> None:
    for name, env in environments.items():
        if name == "gateway":  # previews come through generation-api's WatchProgress
            assert "ATELIER_NATS_URL" not in env
        else:
            assert urlsplit(env["ATELIER_NATS_URL"]).username == name
