import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExportConsentedImagesRequest(_message.Message):
    __slots__ = ("batch_size",)
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    batch_size: int
    def __init__(self, batch_size: _Optional[int] = ...) -> None: ...

class ConsentedImage(_message.Message):
    __slots__ = ("image_id", "owner_id", "prompt", "negative_prompt", "width", "height", "content_type", "content", "created_at", "plan", "terms_version", "checked_at")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    TERMS_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHECKED_AT_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    owner_id: str
    prompt: str
    negative_prompt: str
    width: int
    height: int
    content_type: str
    content: bytes
    created_at: _timestamp_pb2.Timestamp
    plan: str
    terms_version: str
    checked_at: _timestamp_pb2.Timestamp
    def __init__(self, image_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., prompt: _Optional[str] = ..., negative_prompt: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., content_type: _Optional[str] = ..., content: _Optional[bytes] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., plan: _Optional[str] = ..., terms_version: _Optional[str] = ..., checked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportSummary(_message.Message):
    __slots__ = ("scanned", "public_images", "exported")
    SCANNED_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_IMAGES_FIELD_NUMBER: _ClassVar[int]
    EXPORTED_FIELD_NUMBER: _ClassVar[int]
    scanned: int
    public_images: int
    exported: int
    def __init__(self, scanned: _Optional[int] = ..., public_images: _Optional[int] = ..., exported: _Optional[int] = ...) -> None: ...

class ExportConsentedImagesResponse(_message.Message):
    __slots__ = ("image", "summary")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    image: ConsentedImage
    summary: ExportSummary
    def __init__(self, image: _Optional[_Union[ConsentedImage, _Mapping]] = ..., summary: _Optional[_Union[ExportSummary, _Mapping]] = ...) -> None: ...
