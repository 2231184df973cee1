"""The actor's account, asked of the billing service over gRPC at the moment of a change."""

from __future__ import annotations

import logging

import grpc

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from contracts import identities
from glue.service_identity import IdentityFiles, secure_channel
from services.visibility.policy import Account, SubscriptionStatus

log = logging.getLogger(__name__)

_STATUS = {
    billing_pb2.SUBSCRIPTION_STATUS_NONE: SubscriptionStatus.NONE,
    billing_pb2.SUBSCRIPTION_STATUS_ACTIVE: SubscriptionStatus.ACTIVE,
    billing_pb2.SUBSCRIPTION_STATUS_LAPSED: SubscriptionStatus.LAPSED,
}

UNAVAILABLE_MESSAGE = "Your plan cannot be checked right now, so visibility was not changed. Please try again."


class BillingUnavailable(Exception):
    """Billing could not answer: the caller must refuse the change (fail closed)."""


def account_from_proto(account: billing_pb2.Account) -> Account:
    return Account(
        plan=account.plan,
        entitlements=frozenset(account.entitlements),
        status=_STATUS.get(account.status, SubscriptionStatus.UNKNOWN),
    )


class BillingClient:
    def __init__(self, address: str, timeout_s: float, identity: IdentityFiles):
        self._channel = secure_channel(address, identities.BILLING, identity)
        self._stub = billing_pb2_grpc.BillingServiceStub(self._channel)
        self._timeout_s = timeout_s

    async def account(self, user_id: str) -> Account:
        try:
            reply = await self._stub.GetAccount(billing_pb2.GetAccountRequest(user_id=user_id), timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            log.warning("billing GetAccount failed", extra={"code": error.code().name, "details": error.details()})
            raise BillingUnavailable(str(error.details())) from error
        if not reply.HasField("account"):
            raise BillingUnavailable("billing answered without an account")
        return account_from_proto(reply.account)

    async def close(self) -> None:
        await self._channel.close(None)
