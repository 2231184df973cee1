"""The local stack's secrets: generated at random on first start, kept in <data root>/secrets
(mode 0600) so a restart reuses them, and handed to each process only where it needs them.

Nothing here has a default: a secret written in this repository would be a secret of every
deployment that forgot to set its own (issue 10)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

SECRETS_FILE_NAME = "secrets"

# Each service's Postgres role (named like its schema) has a password of its own.
DATABASE_ROLES = ("gateway", "generation", "visibility", "feed", "billing", "webhooks")

SECRET_NAMES = (
    "postgres_superuser_password",
    # Each service's NATS password derives from it (tools/devstack/nats_auth.py).
    "nats_admin_password",
    *(f"postgres_{role}_password" for role in DATABASE_ROLES),
    "s3_access_key",
    "s3_secret_key",
    "billing_webhook_secret",
    # Paging cursors are signed with it (ATELIER_CURSOR_SECRET), one key per service that issues them.
    "feed_cursor_secret",
    "gateway_cursor_secret",
)

# The ATELIER_* variable a developer may set to choose a secret instead of the generated one.
ENVIRONMENT_OVERRIDES = {
    "s3_access_key": "ATELIER_S3_ACCESS_KEY",
    "s3_secret_key": "ATELIER_S3_SECRET_KEY",
    "billing_webhook_secret": "ATELIER_BILLING_WEBHOOK_SECRET",
}


def generate_secret() -> str:
    # URL-safe: these end up in connection URLs and server config files.
    return secrets.token_urlsafe(24)


def load_or_create(data_root: Path, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The stack's secrets: those in the secrets file, any missing one generated and written back.
    An ATELIER_* override wins for this run (and is not written to the file)."""
    path = Path(data_root) / SECRETS_FILE_NAME
    try:
        stored: dict[str, str] = json.loads(path.read_text())
    except FileNotFoundError:
        stored = {}
    missing = [name for name in SECRET_NAMES if not stored.get(name)]
    if missing:
        stored.update({name: generate_secret() for name in missing})
        _write_private(path, json.dumps(stored, indent=2) + "\n")
    overrides = {name: env[variable] for name, variable in ENVIRONMENT_OVERRIDES.items() if env.get(variable)}
    return {**stored, **overrides}


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    # Created 0600 from the start, never readable by others even for a moment.
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.replace(staging, path)
