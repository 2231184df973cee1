"""The API fuzz test's requests, drawn by schemathesis in a process of their own.

Drawing a case is pure Python, and so is the gateway answering it: in one process they take turns
on one core under the GIL. Here a child process draws every case (the same ones, in the same order:
derandomized, and no answer feeds back into what is drawn) while the test's process sends them, so
drawing and answering run on both cores at once.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

BASE_URL = "http://127.0.0.1"
# Cases travel in batches: one hand-over between the processes per batch rather than per case.
BATCH = 25


@dataclass(frozen=True)
class Request:
    """One drawn case: the httpx.AsyncClient.request arguments and how to name it in a failure."""

    kwargs: dict[str, Any]
    description: str


def httpx_kwargs(case: schemathesis.Case, headers: dict[str, str]) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    if "data" in kwargs:
        data = kwargs.pop("data")
        kwargs["content" if isinstance(data, bytes | str) else "data"] = data
    kwargs.pop("auth", None)
    # Like requests, send header values as Latin-1 (httpx insists on ASCII for str).
    kwargs["headers"] = {name: value.encode("latin-1", "replace") for name, value in kwargs["headers"].items()}
    return kwargs


def draw_requests(schema_document: dict, headers: dict[str, str], examples_per_operation: int, out: Queue) -> None:
    """Puts lists of Request on `out`, then None once every operation's cases are drawn."""
    # FastAPI writes OpenAPI 3.1, which schemathesis 3 reads behind this switch.
    schemathesis.experimental.OPEN_API_3_1.enable()
    schema = schemathesis.from_dict(schema_document, base_url=BASE_URL)
    batch: list[Request] = []
    for operation_result in schema.get_all_operations():
        operation = operation_result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples_per_operation,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def record(case: schemathesis.Case) -> None:
            description = f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200}"
            batch.append(Request(httpx_kwargs(case, headers), description))
            if len(batch) >= BATCH:
                out.put(batch.copy())
                batch.clear()

        record()
    if batch:
        out.put(batch)
    out.put(None)


@contextmanager
def drawn_in_a_child(schema_document: dict, headers: dict[str, str], examples_per_operation: int) -> Iterator[Queue]:
    """A queue of batches of Request (None after the last), drawn by a spawned child process:
    a fork would copy this process's running event loop, gRPC and database threads."""
    context = multiprocessing.get_context("spawn")
    requests: Queue = context.Queue()
    child = context.Process(
        target=draw_requests,
        args=(schema_document, headers, examples_per_operation, requests),
        name="fuzz-cases",
        daemon=True,
    )
    child.start()
    try:
        yield requests
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()
