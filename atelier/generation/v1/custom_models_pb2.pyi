import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CustomModelStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOM_MODEL_STATUS_UNSPECIFIED: _ClassVar[CustomModelStatus]
    CUSTOM_MODEL_STATUS_TRAINING: _ClassVar[CustomModelStatus]
    CUSTOM_MODEL_STATUS_READY: _ClassVar[CustomModelStatus]
    CUSTOM_MODEL_STATUS_FAILED: _ClassVar[CustomModelStatus]
CUSTOM_MODEL_STATUS_UNSPECIFIED: CustomModelStatus
CUSTOM_MODEL_STATUS_TRAINING: CustomModelStatus
CUSTOM_MODEL_STATUS_READY: CustomModelStatus
CUSTOM_MODEL_STATUS_FAILED: CustomModelStatus

class TrainingImage(_message.Message):
    __slots__ = ("index", "width", "height", "content_type", "caption", "source_image_id")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAPTION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    index: int
    width: int
    height: int
    content_type: str
    caption: str
    source_image_id: str
    def __init__(self, index: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., content_type: _Optional[str] = ..., caption: _Optional[str] = ..., source_image_id: _Optional[str] = ...) -> None: ...

class CustomModel(_message.Message):
    __slots__ = ("model_id", "owner_id", "name", "status", "job_id", "progress_step", "progress_total", "error", "images", "created_at", "team_id", "image_count")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_STEP_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    owner_id: str
    name: str
    status: CustomModelStatus
    job_id: str
    progress_step: int
    progress_total: int
    error: str
    images: _containers.RepeatedCompositeFieldContainer[TrainingImage]
    created_at: _timestamp_pb2.Timestamp
    team_id: str
    image_count: int
    def __init__(self, model_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[CustomModelStatus, str]] = ..., job_id: _Optional[str] = ..., progress_step: _Optional[int] = ..., progress_total: _Optional[int] = ..., error: _Optional[str] = ..., images: _Optional[_Iterable[_Union[TrainingImage, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., team_id: _Optional[str] = ..., image_count: _Optional[int] = ...) -> None: ...

class TrainingUpload(_message.Message):
    __slots__ = ("content", "filename")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    filename: str
    def __init__(self, content: _Optional[bytes] = ..., filename: _Optional[str] = ...) -> None: ...

class CreateCustomModelRequest(_message.Message):
    __slots__ = ("owner_id", "name", "uploads", "image_ids", "idempotency_key", "team_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UPLOADS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    name: str
    uploads: _containers.RepeatedCompositeFieldContainer[TrainingUpload]
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    idempotency_key: str
    team_id: str
    def __init__(self, owner_id: _Optional[str] = ..., name: _Optional[str] = ..., uploads: _Optional[_Iterable[_Union[TrainingUpload, _Mapping]]] = ..., image_ids: _Optional[_Iterable[str]] = ..., idempotency_key: _Optional[str] = ..., team_id: _Optional[str] = ...) -> None: ...

class CreateCustomModelResponse(_message.Message):
    __slots__ = ("model", "created")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    model: CustomModel
    created: bool
    def __init__(self, model: _Optional[_Union[CustomModel, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListCustomModelsRequest(_message.Message):
    __slots__ = ("owner_id",)
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    def __init__(self, owner_id: _Optional[str] = ...) -> None: ...

class ListCustomModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[CustomModel]
    def __init__(self, models: _Optional[_Iterable[_Union[CustomModel, _Mapping]]] = ...) -> None: ...

class GetCustomModelRequest(_message.Message):
    __slots__ = ("model_id", "viewer_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    viewer_id: str
    def __init__(self, model_id: _Optional[str] = ..., viewer_id: _Optional[str] = ...) -> None: ...

class GetCustomModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: CustomModel
    def __init__(self, model: _Optional[_Union[CustomModel, _Mapping]] = ...) -> None: ...

class DeleteCustomModelRequest(_message.Message):
    __slots__ = ("model_id", "actor_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    actor_id: str
    def __init__(self, model_id: _Optional[str] = ..., actor_id: _Optional[str] = ...) -> None: ...

class DeleteCustomModelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetTrainingImageRequest(_message.Message):
    __slots__ = ("model_id", "index", "viewer_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    index: int
    viewer_id: str
    def __init__(self, model_id: _Optional[str] = ..., index: _Optional[int] = ..., viewer_id: _Optional[str] = ...) -> None: ...

class GetTrainingImageResponse(_message.Message):
    __slots__ = ("content", "content_type")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    content_type: str
    def __init__(self, content: _Optional[bytes] = ..., content_type: _Optional[str] = ...) -> None: ...

class ShareCustomModelRequest(_message.Message):
    __slots__ = ("model_id", "actor_id", "team_id")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    actor_id: str
    team_id: str
    def __init__(self, model_id: _Optional[str] = ..., actor_id: _Optional[str] = ..., team_id: _Optional[str] = ...) -> None: ...

class ShareCustomModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: CustomModel
    def __init__(self, model: _Optional[_Union[CustomModel, _Mapping]] = ...) -> None: ...
