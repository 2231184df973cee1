"""The dev k8s overlay's accounts: a Postgres role and a NATS user per service, each pod holding only
its own, generated from the local stack's tables (tools/devstack/k8s_dev_accounts.py); NATS a
3-node JetStream cluster that fsyncs every write, streams on 3 replicas. Read from the rendered
overlay (`kubectl kustomize`)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.unit.test_k8s_manifests import Manifest, containers, kustomize_build, of_kind, pod_spec, workloads
from tools.devstack import k8s_dev_accounts
from tools.devstack.nats_auth import ADMIN, SERVICE_USERS, SERVICES, user_password
from tools.devstack.secrets import DATABASE_ROLES
from tools.devstack.service_processes import SERVICES as PROCESSES

APPS = {process.name: process for process in PROCESSES}
PERMISSIONS = {service.user: service for service in SERVICES}


def _unhashed(name: str) -> str:
    """A generated Secret's name without kustomize's hash; service identities (not generated here) as they are."""
    return name if name.startswith("atelier-identity-") else re.sub(r"-[a-z0-9]{10}$", "", name)


def rendered() -> list[Manifest]:
    return kustomize_build("dev")


def secrets() -> dict[str, dict[str, str]]:
    return {
        _unhashed(m["metadata"]["name"]): {k: base64.b64decode(v).decode() for k, v in m.get("data", {}).items()}
        for m in of_kind(rendered(), "Secret")
    }


def secrets_used_by(workload: Manifest) -> set[str]:
    names = set()
    for container in containers(workload):
        names |= {_unhashed(s["secretRef"]["name"]) for s in container.get("envFrom", []) if "secretRef" in s}
    for volume in pod_spec(workload).get("volumes", []):
        if "secret" in volume:
            names.add(_unhashed(volume["secret"]["secretName"]))
        for source in volume.get("projected", {}).get("sources", []):
            if "secret" in source:
                names.add(_unhashed(source["secret"]["name"]))
    return names


def nats_users() -> dict[str, dict]:
    text = secrets()["dev-nats-auth"]["nats-auth.conf"]
    block = text[text.index("authorization ") + len("authorization ") :]
    return {user["user"]: user for user in json.loads(block)["users"]}


def test_the_generated_account_files_are_up_to_date() -> None:
    on_disk = {path.name: path.read_text() for path in k8s_dev_accounts.ACCOUNTS_DIR.iterdir()}
    assert on_disk == k8s_dev_accounts.account_files(), "run: .venv/bin/python -m tools.devstack.k8s_dev_accounts"


def test_each_service_pod_holds_its_own_role_and_nats_user_only() -> None:
    all_secrets = secrets()
    for workload in workloads(rendered()):
        app = workload["metadata"]["name"]
        if app not in APPS:
            continue
        used = secrets_used_by(workload)
        # Accounts only (identity certificates and the gateway's token signer are checked elsewhere).
        accounts = {name for name in used if name.endswith("-credentials") or name.startswith("dev-")}
        assert accounts == {f"atelier-{app}-credentials"}, app
        credentials = all_secrets[f"atelier-{app}-credentials"]
        database = urlsplit(credentials["ATELIER_DATABASE_URL"])
        assert database.username == APPS[app].database_role, app
        if app in SERVICE_USERS:
            assert credentials["ATELIER_NATS_USER"] == app
            assert credentials["ATELIER_NATS_PASSWORD"] == nats_users()[app]["password"]
        else:  # the gateway: previews come through generation-api's WatchProgress
            assert not {"ATELIER_NATS_USER", "ATELIER_NATS_PASSWORD"} & set(credentials), app


def test_passwords_differ_between_roles_and_between_users() -> None:
    urls = {urlsplit(s["ATELIER_DATABASE_URL"]) for n, s in secrets().items() if n.endswith("-credentials")}
    role_passwords = {url.username: url.password for url in urls}
    assert sorted(role_passwords) == sorted(DATABASE_ROLES)
    assert len(set(role_passwords.values())) == len(DATABASE_ROLES)
    nats_passwords = [user["password"] for user in nats_users().values()]
    assert len(set(nats_passwords)) == len(nats_passwords)


def test_only_postgres_and_nats_hold_their_bootstrap_accounts() -> None:
    holders = {
        name: {w["metadata"]["name"] for w in workloads(rendered()) if name in secrets_used_by(w)}
        for name in ("dev-postgres-superuser", "dev-postgres-roles", "dev-nats-auth")
    }
    assert holders == {
        "dev-postgres-superuser": {"postgres"},
        "dev-postgres-roles": {"postgres"},
        "dev-nats-auth": {"nats"},
    }


def test_the_postgres_init_script_makes_every_role_with_the_password_its_service_uses() -> None:
    script = secrets()["dev-postgres-roles"]["postgres-roles.sql"]
    postgres = next(w for w in workloads(rendered()) if w["metadata"]["name"] == "postgres")
    mounts = {m["name"]: m["mountPath"] for c in containers(postgres) for m in c.get("volumeMounts", [])}
    assert mounts["roles"] == "/docker-entrypoint-initdb.d"
    for credentials in (s for n, s in secrets().items() if n.endswith("-credentials")):
        url = urlsplit(credentials["ATELIER_DATABASE_URL"])
        assert f"""CREATE ROLE "{url.username}" WITH LOGIN NOSUPERUSER""" in script
        assert f"PASSWORD '{url.password}'" in script
        assert f'CREATE SCHEMA IF NOT EXISTS "{url.username}" AUTHORIZATION "{url.username}"' in script


def test_nats_users_have_the_local_stacks_permissions() -> None:
    users = nats_users()
    assert sorted(users) == sorted([ADMIN, *SERVICE_USERS])
    admin = users[ADMIN]["password"]
    for name, service in PERMISSIONS.items():
        assert users[name]["password"] == user_password(admin, name)
        assert users[name]["permissions"] == {
            "publish": {"allow": service.allowed_publish()},
            "subscribe": {"allow": service.allowed_subscribe()},
        }


def _nats_config() -> str:
    config_map = next(m for m in of_kind(rendered(), "ConfigMap") if m["metadata"]["name"].startswith("nats-config"))
    return config_map["data"]["nats.conf"]


def test_nats_is_a_three_node_jetstream_cluster_that_fsyncs_every_write() -> None:
    nats = next(w for w in workloads(rendered()) if w["metadata"]["name"] == "nats")
    config = _nats_config()
    assert nats["spec"]["replicas"] == 3
    assert re.search(r"sync_interval:\s*always", config)
    service = nats["spec"]["serviceName"]
    routes = re.findall(r"nats://(nats-\d+)\." + re.escape(service) + r":6222", config)
    assert routes == [f"nats-{i}" for i in range(3)]
    # Pod names resolve only under the StatefulSet's headless Service (routes, KEDA's leader lookup).
    governing = next(m for m in of_kind(rendered(), "Service") if m["metadata"]["name"] == service)
    assert governing["spec"]["clusterIP"] == "None"
    settings = next(m for m in of_kind(rendered(), "ConfigMap") if m["metadata"]["name"].startswith("atelier-config"))
    assert settings["data"]["ATELIER_STREAM_REPLICAS"] == "3"


def test_nats_server_accepts_the_config(tmp_path: Path) -> None:
    binary = shutil.which("nats-server", path=str(Path(__file__).resolve().parents[2] / ".venv" / "bin"))
    if binary is None:
        pytest.skip("nats-server is not installed")
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth" / "nats-auth.conf").write_text(secrets()["dev-nats-auth"]["nats-auth.conf"])
    (tmp_path / "nats.conf").write_text(_nats_config().replace("/data", str(tmp_path / "data")))
    result = subprocess.run(
        [binary, "-c", str(tmp_path / "nats.conf"), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"SERVER_NAME": "nats-0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("app", ["postgres", "nats"])
def test_the_account_files_are_readable_by_the_server_and_nobody_else(app: str) -> None:
    """Secret files are root-owned with the pod's fsGroup: the server (not root) reads them through
    the group bit, and no one else may."""
    workload = next(w for w in workloads(rendered()) if w["metadata"]["name"] == app)
    security = pod_spec(workload)["securityContext"]
    assert security["fsGroup"] == security["runAsGroup"]
    modes = [
        volume.get("secret", volume.get("projected", {})).get("defaultMode")
        for volume in pod_spec(workload)["volumes"]
        if "secret" in volume or "projected" in volume
    ]
    assert modes and all(mode is not None and mode & 0o040 and not mode & 0o007 for mode in modes), modes
