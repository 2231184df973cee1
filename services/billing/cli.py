"""The operator command: `python -m services.billing set-plan USER_ID PLAN [--until ISO8601]`
and `python -m services.billing account USER_ID`.

It is a client of the running service's operator RPC (ChangePlan), not a second writer to the
database: every plan change then goes through one process's validation, audit trail and
PlanChanged outbox, and an operator needs only network access to the service (ATELIER_BILLING_ADDR
or --addr), not database credentials.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, datetime

import grpc
from google.protobuf import json_format, timestamp_pb2

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from contracts import identities
from glue.service_identity import IdentityFiles, secure_sync_channel
from services.billing.settings import BillingSettings

TIMEOUT_S = 15.0


def _instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {value!r}") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m services.billing", description="Without a command: run the billing service."
    )
    client = argparse.ArgumentParser(add_help=False)
    client.add_argument("--addr", help="billing service host:port (default: ATELIER_BILLING_ADDR)")
    commands = root.add_subparsers(dest="command")
    set_plan = commands.add_parser("set-plan", parents=[client], help="put a user on a plan (operator ChangePlan)")
    set_plan.add_argument("user_id")
    set_plan.add_argument("plan")
    set_plan.add_argument(
        "--until",
        type=_instant,
        help="end of the period, ISO 8601 (naive means UTC); without it the plan runs until changed",
    )
    set_plan.add_argument("--actor", help="who, for the audit trail (default: operator:<login>)")
    account = commands.add_parser("account", parents=[client], help="show a user's account")
    account.add_argument("user_id")
    commands.add_parser("serve", help="run the billing service (the default)")
    return root


def _write(account: billing_pb2.Account) -> None:
    data = json_format.MessageToDict(account, preserving_proto_field_name=True)
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def run_command(args: argparse.Namespace, settings: BillingSettings) -> int:
    address = args.addr or settings.billing_addr
    with secure_sync_channel(address, identities.BILLING, IdentityFiles.from_settings(settings)) as channel:
        stub = billing_pb2_grpc.BillingServiceStub(channel)
        try:
            if args.command == "set-plan":
                request = billing_pb2.ChangePlanRequest(
                    user_id=args.user_id, plan=args.plan, actor=args.actor or f"operator:{getpass.getuser()}"
                )
                if args.until is not None:
                    request.current_period_end.CopyFrom(timestamp_pb2.Timestamp(seconds=int(args.until.timestamp())))
                _write(stub.ChangePlan(request, timeout=TIMEOUT_S).account)
            else:
                _write(stub.GetAccount(billing_pb2.GetAccountRequest(user_id=args.user_id), timeout=TIMEOUT_S).account)
        except grpc.RpcError as error:
            sys.stderr.write(f"billing at {address}: {error.code().name}: {error.details()}\n")
            return 1
    return 0
