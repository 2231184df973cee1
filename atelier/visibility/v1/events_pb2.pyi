from atelier.common.v1 import visibility_pb2 as _visibility_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
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
