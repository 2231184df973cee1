"""`python -m services.billing`"""

from glue.bootstrap import run_service
from services.billing.server import run
from services.billing.settings import BillingSettings


def main() -> None:
    run_service("billing", BillingSettings(), run)


if __name__ == "__main__":
    main()
