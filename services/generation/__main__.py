"""`python -m services.generation api|worker`"""

import sys

from glue.bootstrap import run_service
from services.generation.settings import GenerationSettings
from services.generation.wiring import run_api, run_worker

ROLES = {"api": run_api, "worker": run_worker}


def main() -> None:
    role = sys.argv[1] if len(sys.argv) > 1 else "api"
    if role not in ROLES:
        raise SystemExit(f"usage: python -m services.generation [{'|'.join(ROLES)}]")
    run_service(f"generation-{role}", GenerationSettings(), ROLES[role])


if __name__ == "__main__":
    main()
