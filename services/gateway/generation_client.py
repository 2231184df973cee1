"""The gateway's client of GenerationService: each call with a deadline, each gRPC failure turned into
the problem a web user should see.

Status mapping: INVALID_ARGUMENT → 422, NOT_FOUND → 404, PERMISSION_DENIED → 403,
FAILED_PRECONDITION / ALREADY_EXISTS → 409, RESOURCE_EXHAUSTED → 402 when the caller is out of
credits (trailing metadata `atelier-reason: out_of_credits`), else 429; UNAVAILABLE and
DEADLINE_EXCEEDED → 503; anything else → 502.
"""

from __future__ import annotations

import logging
import re

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from atelier.common.v1 import visibility_pb2
from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from services.gateway.problems import Problem

log = logging.getLogger(__name__)

SERVICE_NAME = generation_pb2.DESCRIPTOR.services_by_name["GenerationService"].full_name
REASON_METADATA_KEY = "atelier-reason"
OUT_OF_CREDITS = "out_of_credits"
# The generation service's visibility refusals (PERMISSION_DENIED); the gateway words them.
PRIVATE_NOT_ENTITLED = "private_not_entitled"
REMEMBERED_PRIVATE_NOT_ENTITLED = "remembered_private_not_entitled"
_VISIBILITY_PROTO = {"public": visibility_pb2.VISIBILITY_PUBLIC, "private": visibility_pb2.VISIBILITY_PRIVATE}


class PrivateRefused(Exception):
    """The generation service refused a private generation: the plan in force lacks
    private_generation. `remembered`: the owner asked nothing and their last choice was private."""

    def __init__(self, remembered: bool):
        super().__init__("private generation refused")
        self.remembered = remembered


def _reason(error: grpc.aio.AioRpcError) -> str:
    for key, value in error.trailing_metadata() or ():
        if key == REASON_METADATA_KEY:
            return value if isinstance(value, str) else value.decode()
    return ""


def problem_from_rpc_error(
    error: grpc.aio.AioRpcError,
    *,
    not_found: str,
    service: str = "generation",
    not_found_headers: dict[str, str] | None = None,
) -> Problem:
    """`not_found` is the whole 404 detail: the service's own message is never shown for NOT_FOUND,
    so that every "not found" of one kind of thing reads (and is) the same."""
    code, message = error.code(), error.details() or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        # Atelier services word these "field: what is wrong"; shown like the gateway's own 422s.
        field = re.fullmatch(r"([a-z_][a-z0-9_.]*): (.+)", message, re.DOTALL)
        errors = [{"field": field[1], "message": field[2]}] if field else []
        return Problem(422, message or "The request is not valid.", errors=errors)
    if code == grpc.StatusCode.NOT_FOUND:
        return Problem(404, not_found, headers=not_found_headers)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return Problem(403, message or "Your plan does not allow this.")
    if code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ALREADY_EXISTS):
        return Problem(409, message or "This conflicts with the current state.")
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        if _reason(error) == OUT_OF_CREDITS:
            return Problem(402, message or "You are out of credits.")
        return Problem(
            429, message or "Too many generations at once; wait for one to finish.", headers={"Retry-After": "5"}
        )
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        log.warning("service unavailable", extra={"service": service, "code": code.name, "details": message})
        what = "Image generation is" if service == "generation" else f"The {service} service is"
        return Problem(503, f"{what} temporarily unavailable; please try again shortly.", headers={"Retry-After": "5"})
    log.error("service error", extra={"service": service, "code": code.name, "details": message})
    return Problem(502, f"The {service} service failed to answer; please try again.")


class GenerationClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float):
        self._stub = generation_pb2_grpc.GenerationServiceStub(channel)
        self._health = health_pb2_grpc.HealthStub(channel)
        self._timeout_s = timeout_s

    async def submit(self, request: generation_pb2.SubmitRequest) -> generation_pb2.SubmitResponse:
        """Raises PrivateRefused when the service refuses the visibility, else a Problem."""
        try:
            return await self._stub.Submit(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.PERMISSION_DENIED and (reason := _reason(error)) in (
                PRIVATE_NOT_ENTITLED,
                REMEMBERED_PRIVATE_NOT_ENTITLED,
            ):
                raise PrivateRefused(remembered=reason == REMEMBERED_PRIVATE_NOT_ENTITLED) from error
            raise problem_from_rpc_error(error, not_found="Source image not found.") from error

    async def last_visibility(self, owner_id: str) -> str | None:
        """The visibility a generation gets when none is asked for: the owner's last choice."""
        request = generation_pb2.GetLastVisibilityRequest(owner_id=owner_id)
        try:
            response = await self._stub.GetLastVisibility(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Not found.") from error
        return next((name for name, value in _VISIBILITY_PROTO.items() if value == response.visibility), None)

    async def get(self, generation_id: str, viewer_id: str) -> generation_pb2.Generation:
        """The generation as its owner sees it; 404 for anyone else."""
        request = generation_pb2.GetGenerationRequest(generation_id=generation_id, viewer_id=viewer_id)
        try:
            response = await self._stub.GetGeneration(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Generation not found.") from error
        return response.generation

    async def list(self, owner_id: str, page_size: int, cursor: str) -> generation_pb2.ListGenerationsResponse:
        request = generation_pb2.ListGenerationsRequest(owner_id=owner_id, page_size=page_size, cursor=cursor)
        try:
            return await self._stub.ListGenerations(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Not found.") from error

    async def delete(self, generation_id: str, actor_id: str) -> list[str]:
        """Deletes the actor's generation set; the deleted image ids. 404 for anyone but the owner,
        409 while it is still running."""
        request = generation_pb2.DeleteGenerationRequest(generation_id=generation_id, actor_id=actor_id)
        try:
            response = await self._stub.DeleteGeneration(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Generation not found.") from error
        return list(response.deleted_image_ids)

    async def image(self, image_id: str) -> generation_pb2.Image | None:
        """One image by id, not yet authorised: the caller decides who may see it."""
        request = generation_pb2.BatchGetImagesRequest(image_ids=[image_id])
        try:
            response = await self._stub.BatchGetImages(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Image not found.") from error
        return next((image for image in response.images if image.image_id == image_id), None)

    async def check_serving(self) -> None:
        response = await self._health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=2)
        if response.status != health_pb2.HealthCheckResponse.SERVING:
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
            raise RuntimeError(f"{SERVICE_NAME} is {status}")
