"""Latency of the whole describe action through the public API, against the same Triton call made
directly: POST /api/v1/images/{id}/describe → the `completed` server-sent event a browser waits for,
on a 512 px source. p50/p95 over --requests, one at a time.

    .venv/bin/python -m bench.bench_describe_e2e [--requests 16]

Starts its own platform (bench/action_e2e.py). The direct figure is TritonImageModel.suggest on the
same source pixels, so platform/direct is what the job path (outbox, JetStream, object store,
authority, events) adds to the model. Never a test.
"""

from __future__ import annotations

import argparse
import logging

from bench.action_e2e import compare, run_on_own_platform
from bench.bench_upscale_e2e import source_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=16)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run_on_own_platform(
        lambda stack: compare(
            stack, "describe", lambda model, pixels: model.suggest("describe", pixels), source_image, options.requests
        )
    )


if __name__ == "__main__":
    main()
