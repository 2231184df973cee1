from atelier.common.v1 import visibility_pb2 as _visibility_pb2
from atelier.generation.v1 import generation_pb2 as _generation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GenerationRequested(_message.Message):
    __slots__ = ("generation_id", "owner_id", "params", "visibility", "effective_prompt", "seed")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    owner_id: str
    params: _generation_pb2.GenerationParams
    visibility: _visibility_pb2.Visibility
    effective_prompt: str
    seed: int
    def __init__(self, generation_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., params: _Optional[_Union[_generation_pb2.GenerationParams, _Mapping]] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., effective_prompt: _Optional[str] = ..., seed: _Optional[int] = ...) -> None: ...

class GenerationProgress(_message.Message):
    __slots__ = ("generation_id", "owner_id", "step", "total", "previews_png", "finished")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PREVIEWS_PNG_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    owner_id: str
    step: int
    total: int
    previews_png: _containers.RepeatedScalarFieldContainer[bytes]
    finished: bool
    def __init__(self, generation_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., step: _Optional[int] = ..., total: _Optional[int] = ..., previews_png: _Optional[_Iterable[bytes]] = ..., finished: _Optional[bool] = ...) -> None: ...

class ReadyImage(_message.Message):
    __slots__ = ("image_id", "object_key", "seed", "width", "height")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_KEY_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    object_key: str
    seed: int
    width: int
    height: int
    def __init__(self, image_id: _Optional[str] = ..., object_key: _Optional[str] = ..., seed: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class ImagesReady(_message.Message):
    __slots__ = ("generation_id", "owner_id", "images", "prompt", "visibility", "visibility_version", "source_image_id", "api_key_id")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_VERSION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    owner_id: str
    images: _containers.RepeatedCompositeFieldContainer[ReadyImage]
    prompt: str
    visibility: _visibility_pb2.Visibility
    visibility_version: int
    source_image_id: str
    api_key_id: str
    def __init__(self, generation_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., images: _Optional[_Iterable[_Union[ReadyImage, _Mapping]]] = ..., prompt: _Optional[str] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., visibility_version: _Optional[int] = ..., source_image_id: _Optional[str] = ..., api_key_id: _Optional[str] = ...) -> None: ...

class GenerationFailed(_message.Message):
    __slots__ = ("generation_id", "owner_id", "reason", "api_key_id")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    owner_id: str
    reason: str
    api_key_id: str
    def __init__(self, generation_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., reason: _Optional[str] = ..., api_key_id: _Optional[str] = ...) -> None: ...

class ImageDeleted(_message.Message):
    __slots__ = ("generation_id", "owner_id", "image_ids")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    owner_id: str
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, generation_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., image_ids: _Optional[_Iterable[str]] = ...) -> None: ...
