"""`python -m services.visibility`"""

from glue.bootstrap import run_service
from services.visibility.server import run
from services.visibility.settings import VisibilitySettings


def main() -> None:
    run_service("visibility", VisibilitySettings(), run)


if __name__ == "__main__":
    main()
