"""`python -m services.feed`"""

from glue.bootstrap import run_service
from services.feed.server import run
from services.feed.settings import FeedSettings


def main() -> None:
    run_service("feed", FeedSettings(), run)


if __name__ == "__main__":
    main()
