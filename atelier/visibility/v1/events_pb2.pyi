from atelier.common.v1 import visibility_pb2 as _visibility_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VisibilityChanged(_message.Message):
    __slots__ = ("image_id", "owner_id", "visibility", "version")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    owner_id: str
    visibility: _visibility_pb2.Visibility
    version: int
    def __init__(self, image_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., version: _Optional[int] = ...) -> None: ...

class TeamMembershipChanged(_message.Message):
    __slots__ = ("team_id", "version", "owner_ids", "seats")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    OWNER_IDS_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    version: int
    owner_ids: _containers.RepeatedScalarFieldContainer[str]
    seats: int
    def __init__(self, team_id: _Optional[str] = ..., version: _Optional[int] = ..., owner_ids: _Optional[_Iterable[str]] = ..., seats: _Optional[int] = ...) -> None: ...
