"""`python -m services.generation api|worker`, and the operator command
`python -m services.generation export-consented DIR` (services/generation/export_cli.py)."""

import sys

from glue.bootstrap import run_service
from services.generation import export_cli
from services.generation.settings import GenerationSettings
from services.generation.wiring import run_api, run_worker

ROLES = {"api": run_api, "worker": run_worker}
EXPORT = "export-consented"


def main() -> None:
    role = sys.argv[1] if len(sys.argv) > 1 else "api"
    if role == EXPORT:
        sys.exit(export_cli.main(sys.argv[2:]))
    if role not in ROLES:
        raise SystemExit(f"usage: python -m services.generation [{'|'.join([*ROLES, EXPORT])}]")
    run_service(f"generation-{role}", GenerationSettings(), ROLES[role])


if __name__ == "__main__":
    main()
