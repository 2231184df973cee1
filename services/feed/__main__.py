"""`python -m services.feed [serve]` runs the service; `python -m services.feed rebuild [--force]`
rebuilds the projection by replaying the event streams (operators; safe while the service runs)."""

import argparse
import functools

from glue.bootstrap import run_service
from services.feed.settings import FeedSettings
from services.feed.wiring import run, run_rebuild


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.feed")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "rebuild"])
    parser.add_argument(
        "--force", action="store_true", help="rebuild even if a stream no longer holds its whole history"
    )
    args = parser.parse_args()
    settings = FeedSettings()
    if args.command == "rebuild":
        run_service("feed-rebuild", settings, functools.partial(run_rebuild, force=args.force))
    else:
        run_service("feed", settings, run)


if __name__ == "__main__":
    main()
