"""Calls made on behalf of a user: the user is the verified subject of a user token
(glue.user_token), never only a field of the request.

Each service declares, next to its CALLERS, which of its methods act for a user and which request
field names that user (`UserPolicy`). For such a method the server interceptor:
- a token that is forged, expired, for another audience or malformed → UNAUTHENTICATED;
- a valid token whose subject is not the user the request names → PERMISSION_DENIED;
- no token: UNAUTHENTICATED, unless the request names nobody and the method serves anonymous
  viewers (then it answers public data only), or the caller is one the method lists as
  `unattended` (it acts on a recorded event, with no user present, e.g. the worker checking that
  a remix's owner may still see the source).
The verified user is exposed to handlers (glue.user_context.verified_user), and every outgoing
channel forwards the token a handler received to the services it calls for that user.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.descriptor import FieldDescriptor, ServiceDescriptor

from glue.handler_guard import Admit, GuardInterceptor
from glue.service_identity import peer_identity
from glue.user_context import serving_for
from glue.user_token import METADATA_KEY, InvalidUserToken, UserTokenVerifier, VerifiedUser

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActsFor:
    """A method acting for the user named by the request's `field`."""

    field: str
    # An empty field without a token is an anonymous viewer: the handler shows public data only.
    anonymous: bool = False
    # Callers acting on recorded events, with no user present, whose calls carry no token.
    unattended: frozenset[str] = frozenset()


def acts_for(field: str, *, anonymous: bool = False, unattended: Collection[str] = ()) -> ActsFor:
    return ActsFor(field, anonymous, frozenset(unattended))


# A method no user is behind (operator commands, payment webhooks, the worker's registrations).
NO_USER = None


class UserPolicy:
    def __init__(self, rules: Mapping[str, ActsFor | None]):
        self.rules = {method: rule for method, rule in rules.items() if rule is not None}

    @classmethod
    def for_service(cls, service: ServiceDescriptor, rules: Mapping[str, ActsFor | None]) -> UserPolicy:
        """Every method of the service must be named, so a new RPC is never open by omission; an
        acting method's field must be a string field of its request."""
        methods = {method.name: method for method in service.methods}
        if set(rules) != set(methods):
            raise ValueError(
                f"{service.full_name}: user policy must name exactly its methods; "
                f"missing {sorted(set(methods) - set(rules))}, extra {sorted(set(rules) - set(methods))}"
            )
        for name, rule in rules.items():
            if rule is None:
                continue
            method = methods[name]
            field = method.input_type.fields_by_name.get(rule.field)
            if field is None or field.type != FieldDescriptor.TYPE_STRING or method.client_streaming:
                raise ValueError(f"{service.full_name}.{name}: {rule.field} is not a user field of its request")
        return cls({f"/{service.full_name}/{name}": rule for name, rule in rules.items()})

    def rule_for(self, method: str) -> ActsFor | None:
        return self.rules.get(method)


def _token_of(context: grpc.aio.ServicerContext[Any, Any]) -> list[str]:
    # A bytes value (a `-bin` key) is never a token.
    return [
        value for key, value in (context.invocation_metadata() or ()) if key == METADATA_KEY and isinstance(value, str)
    ]


def check(
    rule: ActsFor, named: str, tokens: list[str], caller: str | None, verifier: UserTokenVerifier
) -> VerifiedUser | tuple[grpc.StatusCode, str] | None:
    """The verified user, None for an admitted call without one, or the status to refuse with."""
    if len(tokens) > 1:
        return grpc.StatusCode.UNAUTHENTICATED, "more than one user token"
    if tokens:
        try:
            verified = verifier.verify(tokens[0])
        except InvalidUserToken as error:
            return grpc.StatusCode.UNAUTHENTICATED, str(error)
        if named != verified.user_id:
            return grpc.StatusCode.PERMISSION_DENIED, f"{rule.field} is not the user the user token was signed for"
        return verified
    if caller in rule.unattended or (rule.anonymous and not named):
        return None
    return grpc.StatusCode.UNAUTHENTICATED, f"this call acts for a user: it needs a user token ({METADATA_KEY})"


class OnBehalfInterceptor(GuardInterceptor):
    def __init__(self, policy: UserPolicy, verifier: UserTokenVerifier):
        self._policy = policy
        self._verifier = verifier

    def admission(self, method: str) -> Admit | None:
        rule = self._policy.rule_for(method)
        return None if rule is None else self._admission(method, rule)

    def _admission(self, method: str, rule: ActsFor) -> Admit:
        async def admit(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
            caller = peer_identity(context)
            outcome = check(rule, getattr(request, rule.field), _token_of(context), caller, self._verifier)
            if isinstance(outcome, tuple):
                log.warning("user refused", extra={"rpc": method, "caller": caller, "code": outcome[0].name})
                await context.abort(*outcome)
            # Seen by the handler and whatever it awaits: the call runs in a task of its own.
            serving_for(outcome if isinstance(outcome, VerifiedUser) else None)

        return admit
