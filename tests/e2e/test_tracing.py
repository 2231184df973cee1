"""One generation is one trace: HTTP → gRPC → outbox/NATS → worker → Triton → storage."""

from __future__ import annotations

import json
import time
from collections import defaultdict

import httpx
import pytest

from tests.support.accounts import sign_up
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def read_spans(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_succeeded(base_url: str, headers: dict, generation_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.get(f"{base_url}/api/v1/generations/{generation_id}", headers=headers).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.3)
    raise AssertionError("generation did not finish")


def test_one_generation_is_followed_under_one_trace_id(platform):
    user = sign_up(platform.url)
    reply = httpx.post(
        f"{platform.url}/api/v1/generations",
        headers=user.headers,
        json={"prompt": "a yellow star on a purple background"},
    )
    assert reply.status_code == 202, reply.text
    generation = wait_succeeded(platform.url, user.headers, reply.json()["generation_id"])
    assert generation["status"] == "succeeded"

    def post_and_trace() -> tuple[list[dict], list[dict]] | None:
        """The gateway's POST spans and the last one's trace, once the worker's consume span (which
        ends last: spans are written when they end) is in it."""
        spans = read_spans(platform.trace_file)
        by_trace = defaultdict(list)
        for span in spans:
            by_trace[span["context"]["trace_id"]].append(span)
        posts = [
            s
            for s in spans
            if s["name"].startswith("POST /api/v1/generations")
            and s["resource"]["attributes"]["service.name"] == "gateway"
        ]
        trace = by_trace[posts[-1]["context"]["trace_id"]] if posts else []
        return (posts, trace) if any(s["name"] == "consume atelier.generation.requested" for s in trace) else None

    post_spans, trace = wait_until(post_and_trace, "the gateway's POST and the worker's spans in one trace")
    services = {s["resource"]["attributes"]["service.name"] for s in trace}
    names = {s["name"] for s in trace}
    assert {"gateway", "generation-api", "generation-worker"} <= services, services
    assert "/atelier.generation.v1.GenerationService/Submit" in names
    assert "consume atelier.generation.requested" in names
    assert "triton txt2img" in names
    assert "storage put" in names
    assert sum(1 for s in trace if s["name"] == "storage put") == 4

    trace_id = post_spans[-1]["context"]["trace_id"].removeprefix("0x")
    worker_log = platform.stack.log_path("generation-worker").read_text().splitlines()
    records = [json.loads(line) for line in worker_log if line.startswith("{")]
    succeeded = [
        r
        for r in records
        if r.get("message") == "generation succeeded" and r.get("generation_id") == generation["generation_id"]
    ]
    assert succeeded and succeeded[0]["trace_id"] == trace_id, "the worker's JSON log lacks the trace id"
