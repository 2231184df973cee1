"""NATS users, one per service process, each allowed only the subjects its job needs (issue 10).
Without them any client that reaches NATS reads every generation's previews and prompts and can
inject previews into anyone's live stream.

What each user may do (the global account; JetStream API subjects scoped per stream and durable):
- every user: request through its own inbox prefix only (`_INBOX_<user>.>`), so no user reads
  another's replies (JetStream fetches arrive there too); create/inspect the DEADLETTER stream
  every process provisions, and publish dead letters.
- generation-api: own the GENERATION stream; publish atelier.generation.> (its outbox relay);
  subscribe atelier.progress.* (WatchProgress relays one generation's previews to its owner only).
- generation-worker: own the GENERATION stream (it provisions it too), consume its durable
  (GenerationRequested), publish atelier.progress.* (previews); no domain events: those leave
  through the API's outbox relay.
- gateway: no user at all. A static permission cannot say "only the generations this caller asked
  for", only "every generation's previews"; so the service that owns generations and their owners
  relays them (WatchProgress, services/generation/progress_relay.py) and the gateway needs no NATS.
- webhooks: no stream and no publishing (deliveries leave over HTTPS); consumes only its three
  durables (ImagesReady, GenerationFailed, VisibilityChanged).
- visibility, feed, billing: own their stream (visibility, billing), publish their domain's
  subjects, consume only their durables (visibility: billing's PlanChanged too, for team
  lapses), each bound to the one subject it handles (the durable
  create subject carries the filter, so a feed user cannot open a consumer on GenerationRequested).
- admin: everything (tests and operators' tools; no service runs as it).

Service passwords are derived from the admin's by HMAC, so one generated secret gives each user a
password of its own while a holder of one service's password learns nothing of another's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

ADMIN = "admin"
GENERATION_STREAM = "GENERATION"
VISIBILITY_STREAM = "VISIBILITY"
BILLING_STREAM = "BILLING"
DEADLETTER_STREAM = "DEADLETTER"


@dataclass(frozen=True)
class Durable:
    stream: str
    name: str
    subject: str


@dataclass(frozen=True)
class ServicePermissions:
    user: str
    owned_streams: tuple[str, ...] = ()
    publish: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()
    durables: tuple[Durable, ...] = field(default_factory=tuple)

    def allowed_publish(self) -> list[str]:
        allowed = [
            "$JS.API.INFO",
            *_stream_api(DEADLETTER_STREAM),
            "atelier.deadletter.>",
            *self.publish,
        ]
        for stream in self.owned_streams:
            allowed += _stream_api(stream)
        for durable in self.durables:
            prefix = f"{durable.stream}.{durable.name}"
            allowed += [
                f"$JS.API.STREAM.INFO.{durable.stream}",
                f"$JS.API.CONSUMER.CREATE.{prefix}.{durable.subject}",
                f"$JS.API.CONSUMER.INFO.{prefix}",
                f"$JS.API.CONSUMER.MSG.NEXT.{prefix}",
                f"$JS.ACK.{prefix}.>",
            ]
        return sorted(set(allowed))

    def allowed_subscribe(self) -> list[str]:
        return sorted({inbox_prefix(self.user) + ".>", *self.subscribe})


def _stream_api(stream: str) -> list[str]:
    return [f"$JS.API.STREAM.{verb}.{stream}" for verb in ("CREATE", "UPDATE", "INFO")]


# Durable names and subjects as the services declare them (a unit test holds them to the code).
SERVICES: tuple[ServicePermissions, ...] = (
    ServicePermissions(
        "generation-api",
        owned_streams=(GENERATION_STREAM,),
        publish=("atelier.generation.>",),
        subscribe=("atelier.progress.*",),
    ),
    ServicePermissions(
        "generation-worker",
        owned_streams=(GENERATION_STREAM,),
        publish=("atelier.progress.*",),
        durables=(Durable(GENERATION_STREAM, "generation-worker", "atelier.generation.requested"),),
    ),
    ServicePermissions(
        "visibility",
        owned_streams=(VISIBILITY_STREAM,),
        publish=("atelier.visibility.>",),
        durables=(
            Durable(GENERATION_STREAM, "visibility-images-ready", "atelier.generation.images_ready"),
            Durable(GENERATION_STREAM, "visibility-image-deleted", "atelier.generation.image_deleted"),
            Durable(BILLING_STREAM, "visibility-plan-changed", "atelier.billing.plan_changed"),
        ),
    ),
    ServicePermissions(
        "feed",
        durables=(
            Durable(GENERATION_STREAM, "feed-images-ready", "atelier.generation.images_ready"),
            Durable(GENERATION_STREAM, "feed-image-deleted", "atelier.generation.image_deleted"),
            Durable(VISIBILITY_STREAM, "feed-visibility-changed", "atelier.visibility.changed"),
        ),
    ),
    ServicePermissions(
        "billing",
        owned_streams=(BILLING_STREAM,),
        publish=("atelier.billing.>",),
        durables=(
            Durable(GENERATION_STREAM, "billing-images-ready", "atelier.generation.images_ready"),
            Durable(GENERATION_STREAM, "billing-generation-failed", "atelier.generation.failed"),
            Durable(VISIBILITY_STREAM, "billing-team-membership", "atelier.visibility.team_membership_changed"),
        ),
    ),
    ServicePermissions(
        "webhooks",
        durables=(
            Durable(GENERATION_STREAM, "webhooks-images-ready", "atelier.generation.images_ready"),
            Durable(GENERATION_STREAM, "webhooks-generation-failed", "atelier.generation.failed"),
            Durable(VISIBILITY_STREAM, "webhooks-visibility-changed", "atelier.visibility.changed"),
        ),
    ),
)
SERVICE_USERS = tuple(service.user for service in SERVICES)


def inbox_prefix(user: str) -> str:
    return f"_INBOX_{user.replace('-', '_')}"


def user_password(admin_password: str, user: str) -> str:
    if user == ADMIN:
        return admin_password
    digest = hmac.new(admin_password.encode(), f"nats-user:{user}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def user_url(admin_url: str, user: str) -> str:
    """The URL of `user` on the server `admin_url` (the admin's, credentials included) points at."""
    parts = urlsplit(admin_url)
    if parts.password is None:
        return admin_url  # a server without users
    host = parts.netloc.rpartition("@")[2]
    password = user_password(parts.password, user)
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"))


def authorization_config(admin_password: str) -> str:
    """The `authorization` block of nats-server's config (JSON is valid NATS config syntax)."""
    users: list[dict[str, object]] = [{"user": ADMIN, "password": admin_password}]
    for service in SERVICES:
        users.append(
            {
                "user": service.user,
                "password": user_password(admin_password, service.user),
                "permissions": {
                    "publish": {"allow": service.allowed_publish()},
                    "subscribe": {"allow": service.allowed_subscribe()},
                },
            }
        )
    return "authorization " + json.dumps({"users": users}, indent=2) + "\n"
