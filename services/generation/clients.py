"""The generation service's calls to billing (credits) and visibility (the authority), with
their failures turned into domain errors."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import grpc

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from contracts.common import SCOPE_TO_PROTO

OWNER, ADMIN, MEMBER = "owner", "admin", "member"


@dataclass(frozen=True)
class TeamStanding:
    """One team the viewer is a current member of, as the authority answered."""

    team_id: str
    # user id -> role, every current member (the viewer included)
    members: Mapping[str, str]
    lapsed: bool = False


RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
_ROLE_NAMES = {
    visibility_pb2.TEAM_ROLE_OWNER: OWNER,
    visibility_pb2.TEAM_ROLE_ADMIN: ADMIN,
    visibility_pb2.TEAM_ROLE_MEMBER: MEMBER,
}


class OutOfCredits(Exception):
    """Billing refused the reservation; the message is billing's, meant for the user."""


class NotEntitled(Exception):
    """Billing refused the reservation: the plan in force lacks a required entitlement."""


class DependencyUnavailable(Exception):
    """A service we need could not answer; nothing was changed by this call."""


@dataclass(frozen=True)
class Reservation:
    """What billing answered with the credits: the account as it was when they were reserved."""

    entitlements: frozenset[str]
    max_concurrent_generations: int


class BillingClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float = 5.0):
        self._stub = billing_pb2_grpc.BillingServiceStub(channel)
        self._timeout_s = timeout_s

    async def reserve(
        self,
        user_id: str,
        generation_id: str,
        credits: int,
        required_entitlements: Collection[str] = (),
        *,
        action: str = "",
    ) -> Reservation:
        """action: an image action, which billing prices (credits must then be 0)."""
        request = billing_pb2.ReserveCreditsRequest(
            user_id=user_id,
            generation_id=generation_id,
            amount=credits,
            required_entitlements=list(required_entitlements),
            action=action,
        )
        try:
            reply = await self._stub.ReserveCredits(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise OutOfCredits(error.details()) from error
            if error.code() == grpc.StatusCode.PERMISSION_DENIED:
                raise NotEntitled(error.details()) from error
            raise DependencyUnavailable(f"billing: {error.details()}") from error
        if not reply.HasField("account"):
            # Credits were reserved: the caller releases them on any error.
            raise DependencyUnavailable("billing: the reservation came without the account")
        return Reservation(frozenset(reply.account.entitlements), reply.account.max_concurrent_generations)

    async def release(self, generation_id: str) -> None:
        await self._stub.ReleaseCredits(
            billing_pb2.ReleaseCreditsRequest(generation_id=generation_id), timeout=self._timeout_s
        )

    async def licence_terms(self, user_ids: Collection[str]) -> dict[str, billing_pb2.LicenceTerms]:
        """The licence terms of each user's plan in force (the consent export), by user id."""
        if not user_ids:
            return {}
        try:
            reply = await self._stub.BatchGetLicenceTerms(
                billing_pb2.BatchGetLicenceTermsRequest(user_ids=list(user_ids)), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as error:
            raise DependencyUnavailable(f"billing: {error.details()}") from error
        return {terms.user_id: terms for terms in reply.terms}


class VisibilityClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float = 5.0):
        self._stub = visibility_pb2_grpc.VisibilityServiceStub(channel)
        self._timeout_s = timeout_s

    async def register(
        self,
        owner_id: str,
        generation_id: str,
        image_ids: list[str],
        visibility: str,
        privacy_entitled: bool,
        team_id: str = "",
    ) -> None:
        try:
            await self._stub.RegisterImages(
                visibility_pb2.RegisterImagesRequest(
                    owner_id=owner_id,
                    generation_id=generation_id,
                    image_ids=image_ids,
                    visibility=SCOPE_TO_PROTO[visibility],
                    made_with_privacy_entitlement=privacy_entitled,
                    team_id=team_id,
                ),
                timeout=self._timeout_s,
            )
        except grpc.aio.AioRpcError as error:
            raise DependencyUnavailable(f"visibility: {error.details()}") from error

    async def may_see(self, viewer_id: str, image_id: str) -> bool:
        return image_id in await self.visible_to(viewer_id, [image_id])

    async def visible_to(self, viewer_id: str, image_ids: list[str]) -> set[str]:
        """Those of image_ids the authority lets viewer_id ("" for anonymous) see right now."""
        if not image_ids:
            return set()
        try:
            reply = await self._stub.Authorize(
                visibility_pb2.AuthorizeRequest(viewer_id=viewer_id, image_ids=image_ids), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as error:
            raise DependencyUnavailable(f"visibility: {error.details()}") from error
        return set(reply.allowed_image_ids) & set(image_ids)

    async def teams_of(self, user_id: str) -> list[TeamStanding]:
        """The teams the user is a current member of, with their members, as the authority answers
        now (custom models shared with a team: custom_model_access.py)."""
        try:
            reply = await self._stub.ListTeams(
                visibility_pb2.ListTeamsRequest(user_id=user_id), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as error:
            raise DependencyUnavailable(f"visibility: {error.details()}") from error
        return [
            TeamStanding(
                team.team_id,
                {member.user_id: _ROLE_NAMES.get(member.role, MEMBER) for member in team.members},
                team.lapsed,
            )
            for team in reply.teams
        ]

    async def mark_deleted(self, actor_id: str, image_ids: list[str]) -> None:
        try:
            await self._stub.MarkDeleted(
                visibility_pb2.MarkDeletedRequest(actor_id=actor_id, image_ids=image_ids), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as error:
            raise DependencyUnavailable(f"visibility: {error.details()}") from error

    async def restore(self, actor_id: str, image_ids: list[str]) -> None:
        try:
            await self._stub.RestoreImages(
                visibility_pb2.RestoreImagesRequest(actor_id=actor_id, image_ids=image_ids), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as error:
            raise DependencyUnavailable(f"visibility: {error.details()}") from error
