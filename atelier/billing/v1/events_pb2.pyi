from atelier.billing.v1 import billing_pb2 as _billing_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlanChanged(_message.Message):
    __slots__ = ("user_id", "plan", "entitlements", "status", "version")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    entitlements: _containers.RepeatedScalarFieldContainer[str]
    status: _billing_pb2.SubscriptionStatus
    version: int
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., entitlements: _Optional[_Iterable[str]] = ..., status: _Optional[_Union[_billing_pb2.SubscriptionStatus, str]] = ..., version: _Optional[int] = ...) -> None: ...
