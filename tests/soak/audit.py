"""After the soak: what every generation became, from the databases of the services that own it,
checked against what the client saw. Each finding is a sentence; an empty list is a clean run."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import psycopg
from minio.error import S3Error

from tests.soak.load import Outcome
from tools.devstack import ObjectStore

IMAGES_PER_GENERATION = 4


@dataclass
class Ledger:
    reserves: list[int] = field(default_factory=list)
    outcomes: list[tuple[str, int]] = field(default_factory=list)
    expiries: int = 0


@dataclass
class Audit:
    generations: int  # rows in the generation service
    states: Counter[str]  # succeeded / failed (with each reason)
    failure_reasons: Counter[str]
    lost: list[str]
    duplicated: list[str]
    charged_wrongly: list[str]
    unknown_to_client: int  # accepted by the platform while the client saw only an error

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.charged_wrongly)


def settled(database_url: str) -> bool:
    """Every generation ended and every consequence of its end applied: no event left in an
    outbox, billing's reservations all closed, visibility and the feed holding every image."""
    with psycopg.connect(database_url) as conn:
        pending = conn.execute(
            """
            SELECT (SELECT count(*) FROM generation.generations WHERE status NOT IN ('succeeded', 'failed'))
                 + (SELECT count(*) FROM generation.outbox WHERE published_at IS NULL)
                 + (SELECT count(*) FROM billing.outbox WHERE published_at IS NULL)
                 + (SELECT count(*) FROM visibility.outbox WHERE published_at IS NULL)
                 + (SELECT count(*) FROM billing.open_reservations)
                 + (SELECT count(*) FROM generation.images i
                    WHERE NOT EXISTS (SELECT 1 FROM visibility.images v WHERE v.image_id = i.id)
                       OR NOT EXISTS (SELECT 1 FROM feed.images f WHERE f.image_id = i.id AND f.known))
            """
        ).fetchone()
    return pending is not None and pending[0] == 0


def missing_objects(store: ObjectStore, object_keys: list[str]) -> list[str]:
    client = store.client()
    missing = []
    for key in object_keys:
        try:
            client.stat_object(store.bucket, key)
        except S3Error:
            missing.append(key)
    return missing


def audit(database_url: str, store: ObjectStore, outcomes: list[Outcome]) -> Audit:
    lost: list[str] = []
    duplicated: list[str] = []
    charged: list[str] = []
    with psycopg.connect(database_url) as conn:
        generations = {
            str(row[0]): row
            for row in conn.execute(
                "SELECT id, owner_id, idempotency_key, status, error, visibility, num_images"
                " FROM generation.generations"
            )
        }
        images = conn.execute("SELECT id, generation_id, object_key FROM generation.images").fetchall()
        visibility_versions = dict(conn.execute("SELECT image_id::text, version FROM visibility.images").fetchall())
        feed_rows = {
            str(row[0]): row for row in conn.execute("SELECT image_id, known, version, visibility FROM feed.images")
        }
        ledger_rows = conn.execute(
            "SELECT generation_id, kind, amount FROM billing.ledger WHERE generation_id IS NOT NULL"
        ).fetchall()
        open_reservations = [row[0] for row in conn.execute("SELECT generation_id FROM billing.open_reservations")]
        balances = conn.execute(
            """
            SELECT user_id, sum(amount), sum(amount) FILTER (WHERE kind = 'grant')
            FROM billing.ledger GROUP BY user_id
            """
        ).fetchall()

    # Lost: the client's view first, then every row, including those the client never heard of.
    client_ids: set[str] = set()
    for outcome in outcomes:
        plan = outcome.planned
        client_ids |= outcome.generation_ids
        if outcome.refusal:
            lost.append(f"generation {plan.index} was refused: {outcome.refusal}")
        elif outcome.status not in ("succeeded", "failed"):
            lost.append(f"generation {plan.index} ({sorted(outcome.generation_ids)}) never ended for its owner")
        elif outcome.status == "succeeded" and outcome.image_count != IMAGES_PER_GENERATION:
            lost.append(f"generation {plan.index} succeeded with {outcome.image_count} images")
        elif outcome.status == "failed" and not outcome.error:
            lost.append(f"generation {plan.index} failed without a reason")
        if len(outcome.generation_ids) > 1 and plan.idempotency_key:
            duplicated.append(f"key {plan.idempotency_key} answered {sorted(outcome.generation_ids)}")
    states: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for generation_id, (_, _, _, status, error, _, _) in generations.items():
        states[status] += 1
        if status == "failed":
            reasons[error or "(no reason)"] += 1
        elif status != "succeeded":
            lost.append(f"generation {generation_id} is still {status}")
    lost += [f"image object {key} is missing" for key in missing_objects(store, [row[2] for row in images])]
    for generation_id in client_ids - generations.keys():
        lost.append(f"generation {generation_id} was accepted but has no row")
    keys = Counter((row[1], row[2]) for row in generations.values() if row[2])
    duplicated += [f"idempotency key {key} has {n} generations" for (_, key), n in keys.items() if n > 1]

    # Duplicated: images, their objects, their registration with visibility and the feed.
    images_of: defaultdict[str, list[str]] = defaultdict(list)
    for image_id, generation_id, _ in images:
        images_of[str(generation_id)].append(str(image_id))
    for key, n in Counter(row[2] for row in images).items():
        if n > 1:
            duplicated.append(f"object key {key} is used by {n} images")
    for generation_id, (_, _, _, status, _, visibility, num_images) in generations.items():
        own = images_of.get(generation_id, [])
        expected = num_images if status == "succeeded" else 0
        if len(own) != expected:
            duplicated.append(f"generation {generation_id} ({status}) has {len(own)} images, not {expected}")
        for image_id in own:
            if visibility_versions.get(image_id) != 1:
                duplicated.append(f"image {image_id}: visibility version {visibility_versions.get(image_id)}, not 1")
            feed = feed_rows.get(image_id)
            if feed is None or not feed[1] or feed[2] != 1 or feed[3] != visibility:
                duplicated.append(f"image {image_id}: feed row {feed}, expected known, version 1, {visibility}")
    all_images = {str(row[0]) for row in images}
    duplicated += [f"feed holds image {i} that no generation has" for i in feed_rows.keys() - all_images]

    # Charged: one reservation and one outcome per generation, matching how it ended.
    ledgers: defaultdict[str, Ledger] = defaultdict(Ledger)
    for generation_id, kind, amount in ledger_rows:
        ledger = ledgers[generation_id]
        if kind == "reserve":
            ledger.reserves.append(amount)
        elif kind == "expire":
            ledger.expiries += 1
        else:
            ledger.outcomes.append((kind, amount))
    for generation_id, (_, _, _, status, _, _, num_images) in generations.items():
        ledger = ledgers.pop(generation_id, Ledger())
        credits = num_images
        right = (
            [("commit", 0)]
            if status == "succeeded"
            else [("refund", credits)]
            if status == "failed"
            else ledger.outcomes
        )
        if ledger.reserves != [-credits] or ledger.outcomes != right or ledger.expiries:
            charged.append(
                f"generation {generation_id} ({status}): reserved {ledger.reserves}, outcomes {ledger.outcomes}, "
                f"expiries {ledger.expiries}"
            )
    for generation_id, ledger in ledgers.items():
        # A reservation for a generation that was never created must have been released.
        if sum(ledger.reserves) + sum(amount for _, amount in ledger.outcomes) != 0:
            charged.append(f"credits held for {generation_id}, which does not exist: {ledger}")
    charged += [f"reservation of {g} still open" for g in open_reservations]
    succeeded_of = Counter(row[1] for row in generations.values() if row[3] == "succeeded")
    for user_id, balance, granted in balances:
        expected = (granted or 0) - IMAGES_PER_GENERATION * succeeded_of[user_id]
        if balance != expected:
            charged.append(f"user {user_id} has {balance} credits, expected {expected}")
    return Audit(
        generations=len(generations),
        states=states,
        failure_reasons=reasons,
        lost=lost,
        duplicated=duplicated,
        charged_wrongly=charged,
        unknown_to_client=len(generations.keys() - client_ids),
    )
