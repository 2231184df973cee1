"""The feed's client of the visibility authority (VisibilityService.Authorize): which of these
images may this viewer see?

Fails closed (P3): any failure to get an answer raises `AuthorityUnavailable`, and the caller
returns UNAVAILABLE rather than an unchecked page. Only ids the authority returned *and* the feed
asked about are allowed.
"""

from __future__ import annotations

import logging

import grpc

from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from services.feed.metrics import AUTHORITY_FAILURES

log = logging.getLogger(__name__)

MAX_IDS_PER_CALL = 500


class AuthorityUnavailable(Exception):
    """The visibility authority did not answer; nothing may be shown."""


class VisibilityClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float):
        self._stub = visibility_pb2_grpc.VisibilityServiceStub(channel)
        self._timeout_s = timeout_s

    async def allowed(self, viewer_id: str, image_ids: list[str]) -> set[str]:
        allowed: set[str] = set()
        for start in range(0, len(image_ids), MAX_IDS_PER_CALL):
            chunk = image_ids[start : start + MAX_IDS_PER_CALL]
            try:
                reply = await self._stub.Authorize(
                    visibility_pb2.AuthorizeRequest(viewer_id=viewer_id, image_ids=chunk), timeout=self._timeout_s
                )
            except grpc.aio.AioRpcError as error:
                AUTHORITY_FAILURES.inc()
                log.warning(
                    "visibility authority failed; failing closed",
                    extra={"code": error.code().name, "details": error.details()},
                )
                raise AuthorityUnavailable(error.details() or error.code().name) from error
            # A team image is never in a public listing, not even for its team's members while the
            # read model has not yet seen it leave the public scope.
            allowed.update((set(reply.allowed_image_ids) - set(reply.team_image_ids)) & set(chunk))
        return allowed
