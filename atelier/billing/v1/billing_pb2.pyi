import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubscriptionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBSCRIPTION_STATUS_UNSPECIFIED: _ClassVar[SubscriptionStatus]
    SUBSCRIPTION_STATUS_NONE: _ClassVar[SubscriptionStatus]
    SUBSCRIPTION_STATUS_ACTIVE: _ClassVar[SubscriptionStatus]
    SUBSCRIPTION_STATUS_LAPSED: _ClassVar[SubscriptionStatus]

class StandInSessionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAND_IN_SESSION_KIND_UNSPECIFIED: _ClassVar[StandInSessionKind]
    STAND_IN_SESSION_KIND_CHECKOUT: _ClassVar[StandInSessionKind]
    STAND_IN_SESSION_KIND_PORTAL: _ClassVar[StandInSessionKind]

class ReceiptKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECEIPT_KIND_UNSPECIFIED: _ClassVar[ReceiptKind]
    RECEIPT_KIND_CREDITS: _ClassVar[ReceiptKind]
    RECEIPT_KIND_PLAN: _ClassVar[ReceiptKind]
SUBSCRIPTION_STATUS_UNSPECIFIED: SubscriptionStatus
SUBSCRIPTION_STATUS_NONE: SubscriptionStatus
SUBSCRIPTION_STATUS_ACTIVE: SubscriptionStatus
SUBSCRIPTION_STATUS_LAPSED: SubscriptionStatus
STAND_IN_SESSION_KIND_UNSPECIFIED: StandInSessionKind
STAND_IN_SESSION_KIND_CHECKOUT: StandInSessionKind
STAND_IN_SESSION_KIND_PORTAL: StandInSessionKind
RECEIPT_KIND_UNSPECIFIED: ReceiptKind
RECEIPT_KIND_CREDITS: ReceiptKind
RECEIPT_KIND_PLAN: ReceiptKind

class Plan(_message.Message):
    __slots__ = ("name", "display_name", "entitlements", "monthly_credits", "max_concurrent_generations", "monthly_price_cents", "currency")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_CREDITS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_PRICE_CENTS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    entitlements: _containers.RepeatedScalarFieldContainer[str]
    monthly_credits: int
    max_concurrent_generations: int
    monthly_price_cents: int
    currency: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., entitlements: _Optional[_Iterable[str]] = ..., monthly_credits: _Optional[int] = ..., max_concurrent_generations: _Optional[int] = ..., monthly_price_cents: _Optional[int] = ..., currency: _Optional[str] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("user_id", "plan", "entitlements", "credits", "status", "lapsed_plan", "current_period_end", "max_concurrent_generations", "cancel_at_period_end", "has_provider_subscription")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAPSED_PLAN_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_AT_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    HAS_PROVIDER_SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    entitlements: _containers.RepeatedScalarFieldContainer[str]
    credits: int
    status: SubscriptionStatus
    lapsed_plan: str
    current_period_end: _timestamp_pb2.Timestamp
    max_concurrent_generations: int
    cancel_at_period_end: bool
    has_provider_subscription: bool
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., entitlements: _Optional[_Iterable[str]] = ..., credits: _Optional[int] = ..., status: _Optional[_Union[SubscriptionStatus, str]] = ..., lapsed_plan: _Optional[str] = ..., current_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_concurrent_generations: _Optional[int] = ..., cancel_at_period_end: _Optional[bool] = ..., has_provider_subscription: _Optional[bool] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: Account
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class ListPlansRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPlansResponse(_message.Message):
    __slots__ = ("plans",)
    PLANS_FIELD_NUMBER: _ClassVar[int]
    plans: _containers.RepeatedCompositeFieldContainer[Plan]
    def __init__(self, plans: _Optional[_Iterable[_Union[Plan, _Mapping]]] = ...) -> None: ...

class ReserveCreditsRequest(_message.Message):
    __slots__ = ("user_id", "generation_id", "amount", "required_entitlements", "action")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    generation_id: str
    amount: int
    required_entitlements: _containers.RepeatedScalarFieldContainer[str]
    action: str
    def __init__(self, user_id: _Optional[str] = ..., generation_id: _Optional[str] = ..., amount: _Optional[int] = ..., required_entitlements: _Optional[_Iterable[str]] = ..., action: _Optional[str] = ...) -> None: ...

class ReserveCreditsResponse(_message.Message):
    __slots__ = ("balance", "created", "account", "reserved")
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    balance: int
    created: bool
    account: Account
    reserved: int
    def __init__(self, balance: _Optional[int] = ..., created: _Optional[bool] = ..., account: _Optional[_Union[Account, _Mapping]] = ..., reserved: _Optional[int] = ...) -> None: ...

class ReleaseCreditsRequest(_message.Message):
    __slots__ = ("generation_id",)
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    def __init__(self, generation_id: _Optional[str] = ...) -> None: ...

class ReleaseCreditsResponse(_message.Message):
    __slots__ = ("balance",)
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    balance: int
    def __init__(self, balance: _Optional[int] = ...) -> None: ...

class ChangePlanRequest(_message.Message):
    __slots__ = ("user_id", "plan", "current_period_end", "actor")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    current_period_end: _timestamp_pb2.Timestamp
    actor: str
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., current_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class ChangePlanResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: Account
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class HandleProviderWebhookRequest(_message.Message):
    __slots__ = ("payload", "signature")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    signature: str
    def __init__(self, payload: _Optional[bytes] = ..., signature: _Optional[str] = ...) -> None: ...

class HandleProviderWebhookResponse(_message.Message):
    __slots__ = ("processed", "event_type")
    PROCESSED_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    processed: bool
    event_type: str
    def __init__(self, processed: _Optional[bool] = ..., event_type: _Optional[str] = ...) -> None: ...

class CreateCheckoutSessionRequest(_message.Message):
    __slots__ = ("user_id", "plan", "success_url", "cancel_url")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_URL_FIELD_NUMBER: _ClassVar[int]
    CANCEL_URL_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    success_url: str
    cancel_url: str
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., success_url: _Optional[str] = ..., cancel_url: _Optional[str] = ...) -> None: ...

class CreateCheckoutSessionResponse(_message.Message):
    __slots__ = ("session_id", "url")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    url: str
    def __init__(self, session_id: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class CreatePortalSessionRequest(_message.Message):
    __slots__ = ("user_id", "return_url")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    RETURN_URL_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    return_url: str
    def __init__(self, user_id: _Optional[str] = ..., return_url: _Optional[str] = ...) -> None: ...

class CreatePortalSessionResponse(_message.Message):
    __slots__ = ("url",)
    URL_FIELD_NUMBER: _ClassVar[int]
    url: str
    def __init__(self, url: _Optional[str] = ...) -> None: ...

class StandInSession(_message.Message):
    __slots__ = ("session_id", "kind", "plan", "completed", "current_period_end", "cancel_at_period_end", "return_url", "cancel_url")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    CANCEL_AT_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    RETURN_URL_FIELD_NUMBER: _ClassVar[int]
    CANCEL_URL_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    kind: StandInSessionKind
    plan: Plan
    completed: bool
    current_period_end: _timestamp_pb2.Timestamp
    cancel_at_period_end: bool
    return_url: str
    cancel_url: str
    def __init__(self, session_id: _Optional[str] = ..., kind: _Optional[_Union[StandInSessionKind, str]] = ..., plan: _Optional[_Union[Plan, _Mapping]] = ..., completed: _Optional[bool] = ..., current_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_at_period_end: _Optional[bool] = ..., return_url: _Optional[str] = ..., cancel_url: _Optional[str] = ...) -> None: ...

class GetStandInSessionRequest(_message.Message):
    __slots__ = ("user_id", "session_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    session_id: str
    def __init__(self, user_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class GetStandInSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: StandInSession
    def __init__(self, session: _Optional[_Union[StandInSession, _Mapping]] = ...) -> None: ...

class CompleteStandInSessionRequest(_message.Message):
    __slots__ = ("user_id", "session_id", "action")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    session_id: str
    action: str
    def __init__(self, user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., action: _Optional[str] = ...) -> None: ...

class SignedWebhook(_message.Message):
    __slots__ = ("payload", "signature")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    signature: str
    def __init__(self, payload: _Optional[bytes] = ..., signature: _Optional[str] = ...) -> None: ...

class CompleteStandInSessionResponse(_message.Message):
    __slots__ = ("webhooks", "redirect_url")
    WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URL_FIELD_NUMBER: _ClassVar[int]
    webhooks: _containers.RepeatedCompositeFieldContainer[SignedWebhook]
    redirect_url: str
    def __init__(self, webhooks: _Optional[_Iterable[_Union[SignedWebhook, _Mapping]]] = ..., redirect_url: _Optional[str] = ...) -> None: ...

class ListReceiptsRequest(_message.Message):
    __slots__ = ("user_id", "limit")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    limit: int
    def __init__(self, user_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class Receipt(_message.Message):
    __slots__ = ("created_at", "kind", "description", "credits", "plan", "price_cents", "currency")
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    PRICE_CENTS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    kind: ReceiptKind
    description: str
    credits: int
    plan: str
    price_cents: int
    currency: str
    def __init__(self, created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[ReceiptKind, str]] = ..., description: _Optional[str] = ..., credits: _Optional[int] = ..., plan: _Optional[str] = ..., price_cents: _Optional[int] = ..., currency: _Optional[str] = ...) -> None: ...

class ListReceiptsResponse(_message.Message):
    __slots__ = ("receipts",)
    RECEIPTS_FIELD_NUMBER: _ClassVar[int]
    receipts: _containers.RepeatedCompositeFieldContainer[Receipt]
    def __init__(self, receipts: _Optional[_Iterable[_Union[Receipt, _Mapping]]] = ...) -> None: ...

class LicenceTerms(_message.Message):
    __slots__ = ("user_id", "plan", "training_use", "terms_version")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    TRAINING_USE_FIELD_NUMBER: _ClassVar[int]
    TERMS_VERSION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    training_use: bool
    terms_version: str
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., training_use: _Optional[bool] = ..., terms_version: _Optional[str] = ...) -> None: ...

class BatchGetLicenceTermsRequest(_message.Message):
    __slots__ = ("user_ids",)
    USER_IDS_FIELD_NUMBER: _ClassVar[int]
    user_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, user_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetLicenceTermsResponse(_message.Message):
    __slots__ = ("terms",)
    TERMS_FIELD_NUMBER: _ClassVar[int]
    terms: _containers.RepeatedCompositeFieldContainer[LicenceTerms]
    def __init__(self, terms: _Optional[_Iterable[_Union[LicenceTerms, _Mapping]]] = ...) -> None: ...
