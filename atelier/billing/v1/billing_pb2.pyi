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
SUBSCRIPTION_STATUS_UNSPECIFIED: SubscriptionStatus
SUBSCRIPTION_STATUS_NONE: SubscriptionStatus
SUBSCRIPTION_STATUS_ACTIVE: SubscriptionStatus
SUBSCRIPTION_STATUS_LAPSED: SubscriptionStatus

class Plan(_message.Message):
    __slots__ = ("name", "display_name", "entitlements", "monthly_credits", "max_concurrent_generations")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_CREDITS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    entitlements: _containers.RepeatedScalarFieldContainer[str]
    monthly_credits: int
    max_concurrent_generations: int
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., entitlements: _Optional[_Iterable[str]] = ..., monthly_credits: _Optional[int] = ..., max_concurrent_generations: _Optional[int] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("user_id", "plan", "entitlements", "credits", "status", "lapsed_plan", "current_period_end", "max_concurrent_generations")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAPSED_PLAN_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    entitlements: _containers.RepeatedScalarFieldContainer[str]
    credits: int
    status: SubscriptionStatus
    lapsed_plan: str
    current_period_end: _timestamp_pb2.Timestamp
    max_concurrent_generations: int
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., entitlements: _Optional[_Iterable[str]] = ..., credits: _Optional[int] = ..., status: _Optional[_Union[SubscriptionStatus, str]] = ..., lapsed_plan: _Optional[str] = ..., current_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_concurrent_generations: _Optional[int] = ...) -> None: ...

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
