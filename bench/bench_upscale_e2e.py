"""Latency of the whole upscale action through the public API, against the same Triton call made
directly: POST /api/v1/images/{id}/upscale → the `completed` server-sent event a browser waits for,
on a 512 px source (the result is 1024 px). p50/p95 over --requests, one at a time.

    .venv/bin/python -m bench.bench_upscale_e2e [--requests 16]

Starts its own platform (bench/action_e2e.py); the bench user is put on the pro plan by an operator
call. The direct figure is TritonImageModel.infer on the same source
pixels, so platform/direct is what the job path (outbox, JetStream, object store, authority,
events) adds to the model. Never a test.
"""

from __future__ import annotations

from bench import action_e2e

if __name__ == "__main__":
    action_e2e.main("upscale", lambda model, pixels: model.infer("upscale", pixels), __doc__)
