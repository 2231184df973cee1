"""The NATS users' permissions (tools/devstack/nats_auth.py) name the durables and subjects the
services really use, so a renamed durable fails here rather than as a refused consumer at start."""

from contracts import billing as billing_contract
from contracts import generation as generation_contract
from contracts import visibility as visibility_contract
from glue.events import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM
from services.billing import events as billing_events
from services.feed import events as feed_events
from services.generation import worker as generation_worker
from services.visibility import events as visibility_events
from services.webhooks import events as webhooks_events
from tools.devstack import nats_auth
from tools.devstack.nats_auth import SERVICES, Durable

PERMISSIONS = {service.user: service for service in SERVICES}
GEN = generation_contract.STREAM


def test_stream_names_match_the_contracts() -> None:
    assert nats_auth.GENERATION_STREAM == generation_contract.STREAM
    assert nats_auth.VISIBILITY_STREAM == visibility_contract.STREAM
    assert nats_auth.BILLING_STREAM == billing_contract.STREAM
    assert nats_auth.DEADLETTER_STREAM == DEAD_LETTER_STREAM
    assert f"{DEAD_LETTER_PREFIX}.>" in PERMISSIONS["feed"].allowed_publish()


def test_durables_match_the_services() -> None:
    assert set(PERMISSIONS["generation-worker"].durables) == {
        Durable(GEN, generation_worker.WORKER_DURABLE, generation_contract.GENERATION_REQUESTED)
    }
    assert set(PERMISSIONS["feed"].durables) == {
        Durable(GEN, feed_events.IMAGES_READY_DURABLE, generation_contract.IMAGES_READY),
        Durable(GEN, feed_events.IMAGE_DELETED_DURABLE, generation_contract.IMAGE_DELETED),
        Durable(
            visibility_contract.STREAM, feed_events.VISIBILITY_CHANGED_DURABLE, visibility_contract.VISIBILITY_CHANGED
        ),
    }
    assert set(PERMISSIONS["visibility"].durables) == {
        Durable(GEN, visibility_events.IMAGES_READY_DURABLE, generation_contract.IMAGES_READY),
        Durable(GEN, visibility_events.IMAGE_DELETED_DURABLE, generation_contract.IMAGE_DELETED),
        Durable(billing_contract.STREAM, visibility_events.PLAN_CHANGED_DURABLE, billing_contract.PLAN_CHANGED),
    }
    assert set(PERMISSIONS["billing"].durables) == {
        Durable(GEN, billing_events.IMAGES_READY_DURABLE, generation_contract.IMAGES_READY),
        Durable(GEN, billing_events.GENERATION_FAILED_DURABLE, generation_contract.GENERATION_FAILED),
        Durable(
            visibility_contract.STREAM,
            billing_events.TEAM_MEMBERSHIP_DURABLE,
            visibility_contract.TEAM_MEMBERSHIP_CHANGED,
        ),
    }
    assert set(PERMISSIONS["webhooks"].durables) == {
        Durable(GEN, webhooks_events.IMAGES_READY_DURABLE, generation_contract.IMAGES_READY),
        Durable(GEN, webhooks_events.GENERATION_FAILED_DURABLE, generation_contract.GENERATION_FAILED),
        Durable(
            visibility_contract.STREAM,
            webhooks_events.VISIBILITY_CHANGED_DURABLE,
            visibility_contract.VISIBILITY_CHANGED,
        ),
    }


def test_the_webhooks_service_publishes_no_event_and_owns_no_stream() -> None:
    webhooks = PERMISSIONS["webhooks"]
    assert webhooks.owned_streams == () and webhooks.publish == ()
    assert not [
        s for s in webhooks.allowed_publish() if s.startswith("atelier.") and not s.startswith("atelier.deadletter")
    ]


def test_progress_is_published_by_the_worker_and_heard_by_the_generation_api_only() -> None:
    progress = f"{generation_contract.PROGRESS_PREFIX}.*"
    assert [user for user, p in PERMISSIONS.items() if progress in p.allowed_publish()] == ["generation-worker"]
    assert [user for user, p in PERMISSIONS.items() if progress in p.allowed_subscribe()] == ["generation-api"]


def test_the_gateway_has_no_nats_user() -> None:
    # It could only be granted every generation's previews: it gets them through WatchProgress.
    assert "gateway" not in nats_auth.SERVICE_USERS


def test_no_service_may_use_the_whole_jetstream_api_or_every_inbox() -> None:
    for service in SERVICES:
        everything = service.allowed_publish() + service.allowed_subscribe()
        assert not [s for s in everything if s in (">", "$JS.API.>", "_INBOX.>", "atelier.>")], service.user
        assert not [s for s in service.allowed_publish() if "DURABLE.CREATE" in s or s.endswith("CONSUMER.CREATE.>")]


def test_each_user_has_its_own_password() -> None:
    passwords = {nats_auth.user_password("root-secret", user) for user in nats_auth.SERVICE_USERS}
    assert len(passwords) == len(nats_auth.SERVICE_USERS)
    assert "root-secret" not in passwords
