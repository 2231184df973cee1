"""Latency of the remove-background action through the public API, against the same Triton call
made directly: POST /api/v1/images/{id}/remove-background → the `completed` server-sent event a
browser waits for, on a 512 px source. p50/p95 over --requests, one at a time.

    .venv/bin/python -m bench.bench_background_e2e [--requests 16]

Starts its own platform (bench/action_e2e.py). The direct figure is the Triton `background` model on
the same source pixels, so platform/direct is what the job path (outbox, JetStream, object store,
authority, events) adds to the model; the network alone in process is in segmenter/MODEL_CARD.md.
Never a test.
"""

from __future__ import annotations

from bench import action_e2e

if __name__ == "__main__":
    action_e2e.main("remove-background", lambda model, pixels: model.infer("background", pixels), __doc__)
