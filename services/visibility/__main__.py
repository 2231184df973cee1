"""`python -m services.visibility`"""

from glue.bootstrap import run_service
from services.visibility.settings import VisibilitySettings
from services.visibility.wiring import run


def main() -> None:
    run_service("visibility", VisibilitySettings(), run)


if __name__ == "__main__":
    main()
