"""The one gRPC status → HTTP problem mapping (services/gateway/problems.py) that every client of the
gateway uses: the status and the words a user gets for each failure of each service."""

import grpc
import pytest

from services.gateway.problems import OUT_OF_CREDITS, REASON_METADATA_KEY, problem_from_rpc_error


def rpc_error(code: grpc.StatusCode, details: str = "", reason: str = "") -> grpc.aio.AioRpcError:
    trailing = grpc.aio.Metadata((REASON_METADATA_KEY, reason)) if reason else grpc.aio.Metadata()
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, details=details)


@pytest.mark.parametrize(
    ("code", "details", "reason", "status", "detail"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, "prompt: is empty", "", 422, "prompt: is empty"),
        (grpc.StatusCode.INVALID_ARGUMENT, "", "", 422, "The request is not valid."),
        (grpc.StatusCode.PERMISSION_DENIED, "Private images need Plus.", "", 403, "Private images need Plus."),
        (grpc.StatusCode.PERMISSION_DENIED, "", "", 403, "Your plan does not allow this."),
        (grpc.StatusCode.FAILED_PRECONDITION, "still running", "", 409, "still running"),
        (grpc.StatusCode.ALREADY_EXISTS, "", "", 409, "This conflicts with the current state."),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "", OUT_OF_CREDITS, 402, "You are out of credits."),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "0 credits left", OUT_OF_CREDITS, 402, "0 credits left"),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "", "", 429, "Too many generations at once; wait for one to finish."),
        (grpc.StatusCode.INTERNAL, "stack trace", "", 502, "The feed service failed to answer; please try again."),
        (
            grpc.StatusCode.UNAVAILABLE,
            "refused",
            "",
            503,
            "The feed service is temporarily unavailable; please try again shortly.",
        ),
    ],
)
def test_each_status_becomes_the_problem_users_are_told_about(
    code: grpc.StatusCode, details: str, reason: str, status: int, detail: str
) -> None:
    problem = problem_from_rpc_error(rpc_error(code, details, reason), not_found="Image not found.", service="feed")

    assert (problem.status, problem.detail) == (status, detail)


def test_a_not_found_says_the_gateways_own_words_never_the_services() -> None:
    problem = problem_from_rpc_error(
        rpc_error(grpc.StatusCode.NOT_FOUND, "row 42 missing in generations"), not_found="Generation not found."
    )

    assert (problem.status, problem.detail) == (404, "Generation not found.")


def test_a_field_error_is_listed_like_the_gateways_own_422s() -> None:
    problem = problem_from_rpc_error(
        rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "params.steps: must be 1 to 100"), not_found="Not found."
    )

    assert problem.extra["errors"] == [{"field": "params.steps", "message": "must be 1 to 100"}]


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED])
def test_generation_unreachable_is_worded_for_people_and_retried_later(code: grpc.StatusCode) -> None:
    problem = problem_from_rpc_error(rpc_error(code), not_found="Generation not found.")

    assert problem.status == 503
    assert problem.detail == "Image generation is temporarily unavailable; please try again shortly."
    assert problem.headers == {"Retry-After": "5"}


def test_too_many_at_once_asks_to_retry_later() -> None:
    problem = problem_from_rpc_error(rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED), not_found="Not found.")

    assert problem.headers == {"Retry-After": "5"}
