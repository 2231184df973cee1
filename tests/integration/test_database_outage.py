"""A database outage reaches gRPC clients as UNAVAILABLE (retry later), never as UNKNOWN with the
driver's error text; domain errors keep their own code and message. Real service processes
against a real Postgres whose database stops taking connections."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import grpc
import psycopg
import pytest
from psycopg import sql

from atelier.common.v1 import visibility_pb2 as common_pb2
from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from tests.support.services import Infra, ServiceStack

pytestmark = pytest.mark.integration

# Longer than the pool's own wait for a connection (30 s): the answer must come from the service.
CALL_TIMEOUT_S = 60


@pytest.fixture
def stack(postgres_url, own_nats, tmp_path) -> Iterator[ServiceStack]:
    services = ServiceStack(Infra.without_media(postgres_url, own_nats.url), tmp_path / "logs")
    try:
        with services.started_together():
            services.start_visibility()
            services.start_generation_api()
        yield services
    finally:
        services.stop_all()


def cut_off(postgres_url: str, database_url: str, *, allow: bool) -> None:
    """Stops (or restores) the stack's database taking connections, and ends the ones it has."""
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(name), sql.SQL("true" if allow else "false")
            )
        )
        if not allow:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )


async def refusal(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value.code(), caught.value.details()


async def test_visibility_and_generation_answer_unavailable_while_their_database_is_down(stack, postgres_url):
    async with (
        stack.channel("visibility") as visibility_channel,
        stack.channel("generation-api") as generation_channel,
    ):
        visibility = visibility_pb2_grpc.VisibilityServiceStub(visibility_channel)
        generation = generation_pb2_grpc.GenerationServiceStub(generation_channel)
        image_id = str(uuid.uuid4())

        def register(owner: str):
            return visibility.RegisterImages(
                visibility_pb2.RegisterImagesRequest(
                    owner_id=owner,
                    generation_id=str(uuid.uuid4()),
                    image_ids=[image_id],
                    visibility=common_pb2.VISIBILITY_PUBLIC,
                ),
                timeout=CALL_TIMEOUT_S,
            )

        # Domain errors, through the same translation, keep their code and message.
        await register("alice")
        assert await refusal(register("bob")) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            f"image {image_id} is registered to another owner",
        )
        assert await refusal(
            generation.ListGenerations(
                generation_pb2.ListGenerationsRequest(owner_id="alice", cursor="not-a-cursor"), timeout=CALL_TIMEOUT_S
            )
        ) == (grpc.StatusCode.INVALID_ARGUMENT, "cursor: is not a cursor this service issued")

        cut_off(postgres_url, stack.infra.database_url, allow=False)
        try:
            assert await refusal(
                visibility.Authorize(
                    visibility_pb2.AuthorizeRequest(viewer_id="alice", image_ids=[image_id]), timeout=CALL_TIMEOUT_S
                )
            ) == (grpc.StatusCode.UNAVAILABLE, "visibility: the database is unavailable; try again")
            assert await refusal(
                generation.GetGeneration(
                    generation_pb2.GetGenerationRequest(generation_id=str(uuid.uuid4()), viewer_id="alice"),
                    timeout=CALL_TIMEOUT_S,
                )
            ) == (grpc.StatusCode.UNAVAILABLE, "generation: the database is unavailable; try again")
        finally:
            cut_off(postgres_url, stack.infra.database_url, allow=True)
