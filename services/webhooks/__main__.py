"""`python -m services.webhooks`"""

from glue.bootstrap import run_service
from services.webhooks.settings import WebhooksSettings
from services.webhooks.wiring import run


def main() -> None:
    run_service("webhooks", WebhooksSettings(), run)


if __name__ == "__main__":
    main()
