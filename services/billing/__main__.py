"""`python -m services.billing` runs the service; `python -m services.billing set-plan USER_ID
PLAN [--until ISO8601]` and `... account USER_ID` are the operator commands (services/billing/cli.py)."""

import sys

from glue.bootstrap import run_service
from services.billing.cli import parser, run_command
from services.billing.settings import BillingSettings
from services.billing.wiring import run


def main() -> None:
    args = parser().parse_args()
    settings = BillingSettings()
    if args.command in (None, "serve"):
        run_service("billing", settings, run)
    else:
        sys.exit(run_command(args, settings))


if __name__ == "__main__":
    main()
