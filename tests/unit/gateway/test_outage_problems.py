"""The gateway's own database or NATS going away mid-request (a restart, a failover) answers 503
with Retry-After, like a service it calls being down, never 500 (found by the fault soak when
Postgres was SIGKILLed under load)."""

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg_pool import PoolTimeout

from services.gateway.problems import install_problem_handlers


def app_raising(error: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.AdminShutdown("terminating connection due to unexpected postmaster exit"),
        psycopg.OperationalError("connection failed"),
        PoolTimeout("couldn't get a connection after 30.00 sec"),
    ],
)
def test_an_outage_of_the_gateways_own_store_is_a_503_to_retry(error: Exception) -> None:
    reply = TestClient(app_raising(error), raise_server_exceptions=False).get("/boom")
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["detail"] == "Atelier is temporarily unavailable; please try again shortly."


def test_a_bug_is_still_a_500() -> None:
    reply = TestClient(app_raising(KeyError("x")), raise_server_exceptions=False).get("/boom")
    assert reply.status_code == 500
