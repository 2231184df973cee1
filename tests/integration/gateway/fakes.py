"""Test doubles for the gateway's unit tests: in-process GenerationService, BillingService and
VisibilityService gRPC servers (with the real services' contract rules), an in-memory progress
feed and object store. Integration tests use the real ones."""

import asyncio
import io
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from minio.error import S3Error
from PIL import Image

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.common.v1 import visibility_pb2
from atelier.feed.v1 import feed_pb2_grpc
from atelier.generation.v1 import custom_models_pb2_grpc, events_pb2, generation_pb2, generation_pb2_grpc
from atelier.visibility.v1 import visibility_pb2 as authority_pb2
from atelier.visibility.v1 import visibility_pb2_grpc
from services.billing.ledger import out_of_credits_message
from services.gateway.clients.billing import SERVICE_NAME as BILLING_SERVICE_NAME
from services.gateway.clients.generation import SERVICE_NAME
from services.gateway.clients.visibility import SERVICE_NAME as VISIBILITY_SERVICE_NAME
from services.generation.decision import (
    CONCURRENCY_LIMIT,
    ConcurrencyLimit,
    VisibilityRefused,
    check_concurrency,
    decide_visibility,
    wanted_visibility,
)
from services.visibility.policy import PLAN_LAPSED

PUBLIC = visibility_pb2.VISIBILITY_PUBLIC
PRIVATE = visibility_pb2.VISIBILITY_PRIVATE
UNSPECIFIED = visibility_pb2.VISIBILITY_UNSPECIFIED
NAME_OF_VISIBILITY = {PUBLIC: "public", PRIVATE: "private"}


def first_of_next_month() -> date:
    """When a free plan's credits renew (billing's monthly allowance)."""
    today = datetime.now(UTC).date()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def png_bytes(colour: tuple[int, int, int], size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


@dataclass
class InjectedError:
    code: grpc.StatusCode
    message: str
    trailing_metadata: tuple[tuple[str, str], ...] = ()


class FakeGenerationService(generation_pb2_grpc.GenerationServiceServicer):
    """Keeps generations in memory with the real service's rules: NOT_FOUND for non-owners, and
    Submit decided as the real one decides it (services/generation/decision.py) from the billing
    fake's account: visibility from the plan and the last choice, credits, concurrency."""

    def __init__(
        self,
        objects: "InMemoryObjects",
        visibility: "FakeVisibilityService | None" = None,
        billing: "FakeBillingService | None" = None,
    ) -> None:
        # Where the images of completed generations are written, as the real worker does.
        self.objects = objects
        # The authority the worker registers images with before a generation succeeds.
        self.visibility = visibility
        # The accounts Submit decides with: the authority's when not given.
        self.billing = billing or (visibility.billing if visibility is not None else FakeBillingService())
        self.deleted: list[str] = []
        self.undo_window_s = 10.0
        # generation id → (generation, its place in `order`, its objects, undo deadline)
        self.pending_deletions: dict[str, tuple] = {}
        self.generations: dict[str, generation_pb2.Generation] = {}
        self.order: list[str] = []
        # Every Submit received; refused ones are in `refused` too, with the reason.
        self.submissions: list[generation_pb2.SubmitRequest] = []
        self.refused: list[tuple[generation_pb2.SubmitRequest, str]] = []
        # The generations those submissions created, with what was decided (visibility, seed).
        self.accepted: list[generation_pb2.Generation] = []
        # Visibilities the owner asked for (not a retry's copy), oldest first.
        self.chosen_visibility: defaultdict[str, list[int]] = defaultdict(list)
        self.by_idempotency_key: dict[tuple[str, str], str] = {}
        self.images: dict[str, generation_pb2.Image] = {}
        self.next_error: InjectedError | None = None
        self.get_calls: defaultdict[str, int] = defaultdict(int)
        # generation id -> number of GetGeneration calls after which it completes
        self._complete_on_read: dict[str, int] = {}

    async def _raise_injected(self, context: grpc.aio.ServicerContext) -> None:
        if self.next_error is not None:
            error, self.next_error = self.next_error, None
            if error.trailing_metadata:
                context.set_trailing_metadata(error.trailing_metadata)
            await context.abort(error.code, error.message)

    async def Submit(self, request, context):
        await self._raise_injected(context)
        self.submissions.append(request)
        key = (request.owner_id, request.idempotency_key)
        if request.idempotency_key and key in self.by_idempotency_key:
            existing = self.generations[self.by_idempotency_key[key]]
            return generation_pb2.SubmitResponse(generation=existing, created=False)
        visibility = await self._decide(request, context)
        created_at = Timestamp()
        created_at.GetCurrentTime()
        generation = generation_pb2.Generation(
            generation_id=str(uuid.uuid4()),
            owner_id=request.owner_id,
            status=generation_pb2.GENERATION_STATUS_QUEUED,
            params=request.params,
            visibility=visibility,
            progress_total=20,
            created_at=created_at,
            seed=request.params.seed if request.params.HasField("seed") else 1234,
            seed_chosen=request.params.HasField("seed"),
        )
        generation.params.seed = generation.seed
        self.generations[generation.generation_id] = generation
        self.order.append(generation.generation_id)
        self.accepted.append(generation)
        if request.idempotency_key:
            self.by_idempotency_key[key] = generation.generation_id
        if request.visibility != UNSPECIFIED and not request.visibility_copied:
            self.chosen_visibility[request.owner_id].append(request.visibility)
        return generation_pb2.SubmitResponse(generation=generation, created=True)

    async def _decide(self, request, context) -> int:
        """The real service's decision; aborts with its status and `atelier-reason` when refused."""
        if not self.billing.available:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "cannot accept generations right now (billing)")
        account = self.billing.account(request.owner_id)
        requested = NAME_OF_VISIBILITY.get(request.visibility)
        wanted = wanted_visibility(requested, None if requested else self._last_choice(request.owner_id))
        in_force = () if account.status == billing_pb2.SUBSCRIPTION_STATUS_LAPSED else account.entitlements
        cost = request.params.num_images or 4
        try:
            visibility = decide_visibility(wanted, in_force)
            if account.credits < cost:
                await self._refuse(
                    request,
                    context,
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    "out_of_credits",
                    out_of_credits_message(cost, account.credits, first_of_next_month()),
                )
            check_concurrency(self._in_progress(request.owner_id), account.max_concurrent_generations)
        except VisibilityRefused as refused:
            await self._refuse(request, context, grpc.StatusCode.PERMISSION_DENIED, refused.reason, str(refused))
        except ConcurrencyLimit as refused:
            await self._refuse(request, context, grpc.StatusCode.RESOURCE_EXHAUSTED, CONCURRENCY_LIMIT, str(refused))
        account.credits -= cost
        return PUBLIC if visibility == "public" else PRIVATE

    async def _refuse(self, request, context, code: grpc.StatusCode, reason: str, message: str) -> None:
        self.refused.append((request, reason))
        context.set_trailing_metadata((("atelier-reason", reason),))
        await context.abort(code, message)

    def _last_choice(self, owner_id: str) -> str | None:
        chosen = self.chosen_visibility[owner_id]
        return NAME_OF_VISIBILITY[chosen[-1]] if chosen else None

    def _in_progress(self, owner_id: str) -> int:
        running = (generation_pb2.GENERATION_STATUS_QUEUED, generation_pb2.GENERATION_STATUS_RUNNING)
        return sum(1 for g in self.generations.values() if g.owner_id == owner_id and g.status in running)

    async def GetLastVisibility(self, request, context):
        await self._raise_injected(context)
        chosen = self.chosen_visibility[request.owner_id]
        return generation_pb2.GetLastVisibilityResponse(visibility=chosen[-1] if chosen else UNSPECIFIED)

    async def GetGeneration(self, request, context):
        await self._raise_injected(context)
        self.get_calls[request.generation_id] += 1
        reads_left = self._complete_on_read.get(request.generation_id)
        if reads_left is not None and self.get_calls[request.generation_id] >= reads_left:
            del self._complete_on_read[request.generation_id]
            self.succeed(request.generation_id)
        generation = self.generations.get(request.generation_id)
        if generation is None or generation.owner_id != request.viewer_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")
        return generation_pb2.GetGenerationResponse(generation=generation)

    async def ListGenerations(self, request, context):
        await self._raise_injected(context)
        newest_first = [self.generations[gid] for gid in reversed(self.order)]
        mine = [generation for generation in newest_first if generation.owner_id == request.owner_id]
        try:
            start = int(request.cursor) if request.cursor else 0
        except ValueError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "cursor: is not a cursor this service issued")
        page = mine[start : start + request.page_size]
        more = start + request.page_size < len(mine)
        return generation_pb2.ListGenerationsResponse(
            generations=page, next_cursor=str(start + request.page_size) if more else ""
        )

    async def BatchGetImages(self, request, context):
        await self._raise_injected(context)
        return generation_pb2.BatchGetImagesResponse(
            images=[
                self.images[i]
                for i in request.image_ids
                if i in self.images and self._may_see(request.viewer_id, self.images[i])
            ]
        )

    def _may_see(self, viewer_id: str, image: generation_pb2.Image) -> bool:
        """As the real service answers: the viewer's own images, and those the authority lets the
        viewer see now (without an authority here: as the image was made)."""
        if viewer_id and image.owner_id == viewer_id:
            return True
        if self.visibility is None:
            return image.visibility == PUBLIC
        row = self.visibility.rows.get(image.image_id)
        return row is not None and not row.deleted and row.visibility == PUBLIC

    async def DeleteGeneration(self, request, context):
        await self._raise_injected(context)
        generation = self.generations.get(request.generation_id)
        if generation is None or generation.owner_id != request.actor_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")
        if generation.status in (generation_pb2.GENERATION_STATUS_QUEUED, generation_pb2.GENERATION_STATUS_RUNNING):
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION, "This generation is still running; delete it once it has finished."
            )
        image_ids = [image.image_id for image in generation.images]
        if self.visibility is not None:
            self.visibility.mark_deleted(image_ids)
        response = generation_pb2.DeleteGenerationResponse(deleted_image_ids=image_ids)
        if request.undoable:  # as the real service: hidden now, restorable until the window ends
            objects = {image.object_key: self.objects.data.get(image.object_key) for image in generation.images}
            until = datetime.now(UTC) + timedelta(seconds=self.undo_window_s)
            self.pending_deletions[request.generation_id] = (
                generation,
                self.order.index(request.generation_id),
                objects,
                until,
            )
            response.undo_until.FromDatetime(until)
        for image in generation.images:
            self.images.pop(image.image_id, None)
            self.objects.data.pop(image.object_key, None)
        del self.generations[request.generation_id]
        self.order.remove(request.generation_id)
        self.deleted.append(request.generation_id)
        return response

    async def RestoreGeneration(self, request, context):
        await self._raise_injected(context)
        pending = self.pending_deletions.get(request.generation_id)
        if pending is None or pending[0].owner_id != request.actor_id or pending[3] <= datetime.now(UTC):
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")
        generation, position, objects, _ = self.pending_deletions.pop(request.generation_id)
        self.generations[generation.generation_id] = generation
        self.order.insert(position, generation.generation_id)
        for image in generation.images:
            self.images[image.image_id] = image
            if objects.get(image.object_key) is not None:
                self.objects.data[image.object_key] = objects[image.object_key]
            if self.visibility is not None and image.image_id in self.visibility.rows:
                self.visibility.rows[image.image_id].deleted = False
        return generation_pb2.RestoreGenerationResponse(restored_image_ids=[i.image_id for i in generation.images])

    # test controls

    def add(
        self, owner_id: str, prompt: str = "a red circle", visibility: str = "public", num_images: int = 4
    ) -> generation_pb2.Generation:
        created_at = Timestamp()
        created_at.GetCurrentTime()
        generation = generation_pb2.Generation(
            generation_id=str(uuid.uuid4()),
            owner_id=owner_id,
            status=generation_pb2.GENERATION_STATUS_QUEUED,
            params=generation_pb2.GenerationParams(prompt=prompt, num_images=num_images, aspect_ratio="1:1"),
            visibility=PRIVATE if visibility == "private" else PUBLIC,
            progress_total=20,
            seed=7,
            created_at=created_at,
        )
        self.generations[generation.generation_id] = generation
        self.order.append(generation.generation_id)
        return generation

    def set_progress(self, generation_id: str, step: int) -> None:
        generation = self.generations[generation_id]
        generation.status = generation_pb2.GENERATION_STATUS_RUNNING
        generation.progress_step = step

    def succeed(self, generation_id: str) -> list[str]:
        generation = self.generations[generation_id]
        generation.status = generation_pb2.GENERATION_STATUS_SUCCEEDED
        generation.progress_step = generation.progress_total
        for index in range(generation.params.num_images or 4):
            image = generation_pb2.Image(
                image_id=str(uuid.uuid4()),
                generation_id=generation_id,
                owner_id=generation.owner_id,
                index=index,
                seed=generation.seed + index,
                width=64,
                height=64,
                object_key=f"{uuid.uuid4().hex}/{index}.png",
                content_type="image/png",
                visibility=generation.visibility,
                prompt=generation.params.prompt,
                created_at=generation.created_at,
                source_image_id=generation.params.source_image_id,
            )
            generation.images.append(image)
            self.images[image.image_id] = image
            self.objects.data[image.object_key] = png_bytes((40 * index, 90, 200))
        image_ids = [image.image_id for image in generation.images]
        if self.visibility is not None:
            self.visibility.register(generation.owner_id, image_ids, generation.visibility)
        return image_ids

    def fail(self, generation_id: str, error: str) -> None:
        generation = self.generations[generation_id]
        if generation.status in (generation_pb2.GENERATION_STATUS_QUEUED, generation_pb2.GENERATION_STATUS_RUNNING):
            self.billing.account(generation.owner_id).credits += generation.params.num_images or 4  # refunded
        generation.status = generation_pb2.GENERATION_STATUS_FAILED
        generation.error = error

    def succeed_on_read(self, generation_id: str, reads: int) -> None:
        """Completes the generation when GetGeneration has been called `reads` times for it."""
        self._complete_on_read[generation_id] = reads


PLANS = (
    billing_pb2.Plan(
        name="free", display_name="Free", monthly_credits=25, max_concurrent_generations=1, currency="usd"
    ),
    billing_pb2.Plan(
        name="basic",
        monthly_price_cents=800,
        currency="usd",
        display_name="Basic",
        monthly_credits=400,
        max_concurrent_generations=2,
        entitlements=["download_png", "upscale", "edit", "delete_generation", "custom_models"],
    ),
    billing_pb2.Plan(
        name="plus",
        monthly_price_cents=2000,
        currency="usd",
        display_name="Plus",
        monthly_credits=1000,
        max_concurrent_generations=4,
        entitlements=["private_generation", "download_png", "upscale", "edit", "delete_generation", "custom_models"],
    ),
    billing_pb2.Plan(
        name="pro",
        monthly_price_cents=6000,
        currency="usd",
        display_name="Pro",
        monthly_credits=3000,
        max_concurrent_generations=8,
        entitlements=["private_generation", "download_png", "upscale", "edit", "delete_generation", "custom_models"],
    ),
    billing_pb2.Plan(
        name="team",
        monthly_price_cents=15000,
        currency="usd",
        display_name="Team",
        monthly_credits=10000,
        max_concurrent_generations=8,
        entitlements=[
            "private_generation",
            "download_png",
            "upscale",
            "edit",
            "delete_generation",
            "teams",
            "custom_models",
        ],
    ),
)
PLANS_BY_NAME = {plan.name: plan for plan in PLANS}


class FakeBillingService(billing_pb2_grpc.BillingServiceServicer):
    """Accounts in memory: everyone starts on free (status NONE) with the free allowance."""

    def __init__(self) -> None:
        self.accounts: dict[str, billing_pb2.Account] = {}
        self.webhooks: list[tuple[bytes, str]] = []
        self.available = True
        self.account_calls = 0

    def account(self, user_id: str) -> billing_pb2.Account:
        if user_id not in self.accounts:
            self.accounts[user_id] = billing_pb2.Account(
                user_id=user_id,
                plan="free",
                credits=25,
                status=billing_pb2.SUBSCRIPTION_STATUS_NONE,
                max_concurrent_generations=1,
            )
        return self.accounts[user_id]

    def set_plan(self, user_id: str, plan: str) -> None:
        chosen = PLANS_BY_NAME[plan]
        account = self.account(user_id)
        account.plan = plan
        del account.entitlements[:]
        account.entitlements.extend(chosen.entitlements)
        account.status = (
            billing_pb2.SUBSCRIPTION_STATUS_NONE if plan == "free" else billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        )
        account.lapsed_plan = ""
        account.max_concurrent_generations = chosen.max_concurrent_generations

    def lapse(self, user_id: str) -> None:
        paid = self.account(user_id).plan
        self.set_plan(user_id, "free")
        account = self.account(user_id)
        account.status = billing_pb2.SUBSCRIPTION_STATUS_LAPSED
        account.lapsed_plan = paid

    async def _check(self, context) -> None:
        if not self.available:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "billing is down")

    async def GetAccount(self, request, context):
        await self._check(context)
        self.account_calls += 1
        return billing_pb2.GetAccountResponse(account=self.account(request.user_id))

    async def ListPlans(self, request, context):
        await self._check(context)
        return billing_pb2.ListPlansResponse(plans=PLANS)

    async def HandleProviderWebhook(self, request, context):
        await self._check(context)
        if request.signature != "t=1,v1=good":
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "signature does not match")
        self.webhooks.append((request.payload, request.signature))
        return billing_pb2.HandleProviderWebhookResponse(
            processed=len(self.webhooks) == 1, event_type="customer.subscription.updated"
        )

    # Buying plans, as the real billing answers with no payment provider configured.

    async def CreateCheckoutSession(self, request, context):
        await self._check(context)
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "Payments are not set up on this Atelier.")

    async def CreatePortalSession(self, request, context):
        await self._check(context)
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "Payments are not set up on this Atelier.")

    async def GetStandInSession(self, request, context):
        await self._check(context)
        await context.abort(grpc.StatusCode.NOT_FOUND, "no such session")

    async def CompleteStandInSession(self, request, context):
        await self._check(context)
        await context.abort(grpc.StatusCode.NOT_FOUND, "no such session")

    async def ListReceipts(self, request, context):
        await self._check(context)
        return billing_pb2.ListReceiptsResponse()


@dataclass
class AuthorityRow:
    owner_id: str
    visibility: int
    version: int = 1
    deleted: bool = False


class FakeVisibilityService(visibility_pb2_grpc.VisibilityServiceServicer):
    """The authority's contract: private images for their owner only, deleted and unknown ones for
    nobody, changes need private_generation on an active plan (asked of the billing fake)."""

    def __init__(self, billing: FakeBillingService) -> None:
        self.billing = billing
        self.rows: dict[str, AuthorityRow] = {}
        self.available = True
        self.authorize_calls: list[tuple[str, list[str]]] = []

    def register(self, owner_id: str, image_ids: list[str], visibility: int) -> None:
        for image_id in image_ids:
            self.rows.setdefault(image_id, AuthorityRow(owner_id, visibility))

    def mark_deleted(self, image_ids: list[str]) -> None:
        for image_id in image_ids:
            if image_id in self.rows:
                self.rows[image_id].deleted = True

    def _proto(self, image_id: str) -> authority_pb2.ImageVisibility:
        row = self.rows[image_id]
        return authority_pb2.ImageVisibility(
            image_id=image_id,
            owner_id=row.owner_id,
            visibility=row.visibility,
            version=row.version,
            deleted=row.deleted,
        )

    async def _check(self, context) -> None:
        if not self.available:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "visibility is down")

    def _owned(self, actor_id: str, image_id: str) -> bool:
        row = self.rows.get(image_id)
        return row is not None and not row.deleted and actor_id != "" and row.owner_id == actor_id

    def _refusal(self, actor_id: str, image_id: str, target: int) -> str | None:
        if not self._owned(actor_id, image_id):
            return "image not found"
        if target == visibility_pb2.VISIBILITY_TEAM:  # nobody is in a team here
            return "You can share an image only with a team you are a member of."
        if self.rows[image_id].visibility == target:
            return None
        account = self.billing.account(actor_id)
        if account.status == billing_pb2.SUBSCRIPTION_STATUS_LAPSED:
            return PLAN_LAPSED
        if "private_generation" not in account.entitlements:
            return "Private images need the Plus plan or higher."
        return None

    def _apply(self, image_id: str, target: int) -> None:
        row = self.rows[image_id]
        if row.visibility != target:
            row.visibility = target
            row.version += 1

    async def Authorize(self, request, context):
        await self._check(context)
        self.authorize_calls.append((request.viewer_id, list(request.image_ids)))
        allowed = []
        for image_id in request.image_ids:
            row = self.rows.get(image_id)
            if row is None or row.deleted:
                continue
            if row.visibility == PUBLIC or (request.viewer_id and row.owner_id == request.viewer_id):
                allowed.append(image_id)
        return authority_pb2.AuthorizeResponse(allowed_image_ids=allowed)

    async def BatchGetVisibility(self, request, context):
        await self._check(context)
        return authority_pb2.BatchGetVisibilityResponse(
            images=[self._proto(i) for i in request.image_ids if self._owned(request.owner_id, i)]
        )

    async def SetVisibility(self, request, context):
        await self._check(context)
        reason = self._refusal(request.actor_id, request.image_id, request.visibility)
        if reason == "image not found":
            await context.abort(grpc.StatusCode.NOT_FOUND, reason)
        if reason is not None:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, reason)
        self._apply(request.image_id, request.visibility)
        return authority_pb2.SetVisibilityResponse(image=self._proto(request.image_id))

    async def BatchSetVisibility(self, request, context):
        await self._check(context)
        updated, refused = [], []
        for image_id in request.image_ids:
            reason = self._refusal(request.actor_id, image_id, request.visibility)
            if reason is None:
                self._apply(image_id, request.visibility)
                updated.append(self._proto(image_id))
            else:
                refused.append(authority_pb2.Refusal(image_id=image_id, reason=reason))
        return authority_pb2.BatchSetVisibilityResponse(updated=updated, refused=refused)

    # Teams: nobody is in a team here and nobody may create one (the real rules are tested on the
    # real service: tests/integration/test_privacy_api.py and the privacy property test).

    async def ListTeams(self, request, context):
        await self._check(context)
        return authority_pb2.ListTeamsResponse()

    async def CreateTeam(self, request, context):
        await self._check(context)
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "Creating a team needs the Team plan.")

    async def _no_team(self, request, context):
        await self._check(context)
        await context.abort(grpc.StatusCode.NOT_FOUND, "team not found")

    InviteToTeam = AnswerTeamInvite = SetTeamRole = RemoveFromTeam = DeleteTeam = _no_team


@asynccontextmanager
async def running_services(
    generation: FakeGenerationService,
    billing: FakeBillingService,
    visibility: FakeVisibilityService,
    feed: feed_pb2_grpc.FeedServiceServicer | None = None,
    models: custom_models_pb2_grpc.CustomModelServiceServicer | None = None,
) -> AsyncIterator[str]:
    """Serves the fakes (and SERVING health) on one free loopback port; yields host:port."""
    server = grpc.aio.server()
    generation_pb2_grpc.add_GenerationServiceServicer_to_server(generation, server)
    if models is not None:  # the generation service's second service
        custom_models_pb2_grpc.add_CustomModelServiceServicer_to_server(models, server)
    if feed is not None:
        feed_pb2_grpc.add_FeedServiceServicer_to_server(feed, server)
    billing_pb2_grpc.add_BillingServiceServicer_to_server(billing, server)
    visibility_pb2_grpc.add_VisibilityServiceServicer_to_server(visibility, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    for name in (SERVICE_NAME, BILLING_SERVICE_NAME, VISIBILITY_SERVICE_NAME):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


@dataclass
class InMemoryObjects:
    data: dict[str, bytes] = field(default_factory=dict)

    async def get(self, key: str) -> bytes:
        if key not in self.data:
            raise S3Error(None, "NoSuchKey", "no such key", key, "", "")  # type: ignore[arg-type]
        return self.data[key]


class InMemoryProgressFeed:
    """Delivers published progress to the subscribers of its generation, like core NATS."""

    def __init__(self) -> None:
        self._queues: defaultdict[str, list[asyncio.Queue]] = defaultdict(list)
        self._subscribed: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.subscribed_ids: list[str] = []

    @asynccontextmanager
    async def subscribe(self, generation_id: str, viewer_id: str):
        queue: asyncio.Queue = asyncio.Queue()
        self._queues[generation_id].append(queue)
        self.subscribed_ids.append(generation_id)
        self._subscribed[generation_id].set()
        try:
            yield queue
        finally:
            self._queues[generation_id].remove(queue)

    async def wait_for_subscriber(self, generation_id: str) -> None:
        await self._subscribed[generation_id].wait()

    def publish(self, progress: events_pb2.GenerationProgress) -> None:
        for queue in self._queues[progress.generation_id]:
            queue.put_nowait(progress)
