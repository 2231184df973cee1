"""Latency of the whole describe action through the public API, against the same Triton call made
directly: POST /api/v1/images/{id}/describe → the `completed` server-sent event a browser waits for,
on a 512 px source. p50/p95 over --requests, one at a time.

    .venv/bin/python -m bench.bench_describe_e2e [--requests 16]

Starts its own platform (bench/action_e2e.py). The direct figure is TritonImageModel.suggest on the
same source pixels, so platform/direct is what the job path (outbox, JetStream, object store,
authority, events) adds to the model. Never a test.
"""

from __future__ import annotations

from bench import action_e2e

if __name__ == "__main__":
    action_e2e.main("describe", lambda model, pixels: model.suggest("describe", pixels), __doc__)
