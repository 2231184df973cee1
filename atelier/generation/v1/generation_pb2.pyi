import datetime

from atelier.common.v1 import visibility_pb2 as _visibility_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_KIND_UNSPECIFIED: _ClassVar[JobKind]
    JOB_KIND_GENERATE: _ClassVar[JobKind]
    JOB_KIND_UPSCALE: _ClassVar[JobKind]
    JOB_KIND_DESCRIBE: _ClassVar[JobKind]
    JOB_KIND_REMOVE_BACKGROUND: _ClassVar[JobKind]
    JOB_KIND_FILL: _ClassVar[JobKind]
    JOB_KIND_EXTEND: _ClassVar[JobKind]
    JOB_KIND_EDIT: _ClassVar[JobKind]
    JOB_KIND_REPLACE_BACKGROUND: _ClassVar[JobKind]
    JOB_KIND_TRAIN_STYLE: _ClassVar[JobKind]

class GenerationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GENERATION_STATUS_UNSPECIFIED: _ClassVar[GenerationStatus]
    GENERATION_STATUS_QUEUED: _ClassVar[GenerationStatus]
    GENERATION_STATUS_RUNNING: _ClassVar[GenerationStatus]
    GENERATION_STATUS_SUCCEEDED: _ClassVar[GenerationStatus]
    GENERATION_STATUS_FAILED: _ClassVar[GenerationStatus]
JOB_KIND_UNSPECIFIED: JobKind
JOB_KIND_GENERATE: JobKind
JOB_KIND_UPSCALE: JobKind
JOB_KIND_DESCRIBE: JobKind
JOB_KIND_REMOVE_BACKGROUND: JobKind
JOB_KIND_FILL: JobKind
JOB_KIND_EXTEND: JobKind
JOB_KIND_EDIT: JobKind
JOB_KIND_REPLACE_BACKGROUND: JobKind
JOB_KIND_TRAIN_STYLE: JobKind
GENERATION_STATUS_UNSPECIFIED: GenerationStatus
GENERATION_STATUS_QUEUED: GenerationStatus
GENERATION_STATUS_RUNNING: GenerationStatus
GENERATION_STATUS_SUCCEEDED: GenerationStatus
GENERATION_STATUS_FAILED: GenerationStatus

class GenerationParams(_message.Message):
    __slots__ = ("prompt", "negative_prompt", "seed", "num_images", "aspect_ratio", "magic_prompt", "color_palette", "source_image_id", "mode", "steps", "guidance", "strength", "kind", "mask_png", "extend_direction", "extend_pixels", "style_image_id", "style_strength", "edit_operations", "model_id", "model_scale", "team_id")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    NUM_IMAGES_FIELD_NUMBER: _ClassVar[int]
    ASPECT_RATIO_FIELD_NUMBER: _ClassVar[int]
    MAGIC_PROMPT_FIELD_NUMBER: _ClassVar[int]
    COLOR_PALETTE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MASK_PNG_FIELD_NUMBER: _ClassVar[int]
    EXTEND_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    EXTEND_PIXELS_FIELD_NUMBER: _ClassVar[int]
    STYLE_IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    STYLE_STRENGTH_FIELD_NUMBER: _ClassVar[int]
    EDIT_OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_SCALE_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    negative_prompt: str
    seed: int
    num_images: int
    aspect_ratio: str
    magic_prompt: bool
    color_palette: _containers.RepeatedScalarFieldContainer[str]
    source_image_id: str
    mode: str
    steps: int
    guidance: float
    strength: float
    kind: JobKind
    mask_png: bytes
    extend_direction: str
    extend_pixels: int
    style_image_id: str
    style_strength: float
    edit_operations: _containers.RepeatedCompositeFieldContainer[EditOperation]
    model_id: str
    model_scale: float
    team_id: str
    def __init__(self, prompt: _Optional[str] = ..., negative_prompt: _Optional[str] = ..., seed: _Optional[int] = ..., num_images: _Optional[int] = ..., aspect_ratio: _Optional[str] = ..., magic_prompt: _Optional[bool] = ..., color_palette: _Optional[_Iterable[str]] = ..., source_image_id: _Optional[str] = ..., mode: _Optional[str] = ..., steps: _Optional[int] = ..., guidance: _Optional[float] = ..., strength: _Optional[float] = ..., kind: _Optional[_Union[JobKind, str]] = ..., mask_png: _Optional[bytes] = ..., extend_direction: _Optional[str] = ..., extend_pixels: _Optional[int] = ..., style_image_id: _Optional[str] = ..., style_strength: _Optional[float] = ..., edit_operations: _Optional[_Iterable[_Union[EditOperation, _Mapping]]] = ..., model_id: _Optional[str] = ..., model_scale: _Optional[float] = ..., team_id: _Optional[str] = ...) -> None: ...

class EditOperation(_message.Message):
    __slots__ = ("crop", "rotate_degrees", "flip", "brightness", "contrast")
    CROP_FIELD_NUMBER: _ClassVar[int]
    ROTATE_DEGREES_FIELD_NUMBER: _ClassVar[int]
    FLIP_FIELD_NUMBER: _ClassVar[int]
    BRIGHTNESS_FIELD_NUMBER: _ClassVar[int]
    CONTRAST_FIELD_NUMBER: _ClassVar[int]
    crop: CropBox
    rotate_degrees: int
    flip: str
    brightness: float
    contrast: float
    def __init__(self, crop: _Optional[_Union[CropBox, _Mapping]] = ..., rotate_degrees: _Optional[int] = ..., flip: _Optional[str] = ..., brightness: _Optional[float] = ..., contrast: _Optional[float] = ...) -> None: ...

class CropBox(_message.Message):
    __slots__ = ("x", "y", "width", "height")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    x: int
    y: int
    width: int
    height: int
    def __init__(self, x: _Optional[int] = ..., y: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class Image(_message.Message):
    __slots__ = ("image_id", "generation_id", "owner_id", "index", "seed", "width", "height", "native_width", "native_height", "object_key", "content_type", "visibility", "prompt", "created_at", "source_image_id")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    NATIVE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    NATIVE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_KEY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    generation_id: str
    owner_id: str
    index: int
    seed: int
    width: int
    height: int
    native_width: int
    native_height: int
    object_key: str
    content_type: str
    visibility: _visibility_pb2.Visibility
    prompt: str
    created_at: _timestamp_pb2.Timestamp
    source_image_id: str
    def __init__(self, image_id: _Optional[str] = ..., generation_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., index: _Optional[int] = ..., seed: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., native_width: _Optional[int] = ..., native_height: _Optional[int] = ..., object_key: _Optional[str] = ..., content_type: _Optional[str] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., prompt: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source_image_id: _Optional[str] = ...) -> None: ...

class Generation(_message.Message):
    __slots__ = ("generation_id", "owner_id", "status", "params", "magic_prompt", "visibility", "progress_step", "progress_total", "images", "error", "created_at", "completed_at", "seed", "seed_chosen", "unknown_prompt_words", "suggestions")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    MAGIC_PROMPT_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_STEP_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SEED_CHOSEN_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_PROMPT_WORDS_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    owner_id: str
    status: GenerationStatus
    params: GenerationParams
    magic_prompt: str
    visibility: _visibility_pb2.Visibility
    progress_step: int
    progress_total: int
    images: _containers.RepeatedCompositeFieldContainer[Image]
    error: str
    created_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    seed: int
    seed_chosen: bool
    unknown_prompt_words: _containers.RepeatedScalarFieldContainer[str]
    suggestions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, generation_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., status: _Optional[_Union[GenerationStatus, str]] = ..., params: _Optional[_Union[GenerationParams, _Mapping]] = ..., magic_prompt: _Optional[str] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., progress_step: _Optional[int] = ..., progress_total: _Optional[int] = ..., images: _Optional[_Iterable[_Union[Image, _Mapping]]] = ..., error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., seed: _Optional[int] = ..., seed_chosen: _Optional[bool] = ..., unknown_prompt_words: _Optional[_Iterable[str]] = ..., suggestions: _Optional[_Iterable[str]] = ...) -> None: ...

class SubmitRequest(_message.Message):
    __slots__ = ("owner_id", "idempotency_key", "params", "visibility", "visibility_copied", "team_id", "api_key_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_COPIED_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    idempotency_key: str
    params: GenerationParams
    visibility: _visibility_pb2.Visibility
    visibility_copied: bool
    team_id: str
    api_key_id: str
    def __init__(self, owner_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., params: _Optional[_Union[GenerationParams, _Mapping]] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., visibility_copied: _Optional[bool] = ..., team_id: _Optional[str] = ..., api_key_id: _Optional[str] = ...) -> None: ...

class SubmitResponse(_message.Message):
    __slots__ = ("generation", "created")
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    generation: Generation
    created: bool
    def __init__(self, generation: _Optional[_Union[Generation, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetLastVisibilityRequest(_message.Message):
    __slots__ = ("owner_id",)
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    def __init__(self, owner_id: _Optional[str] = ...) -> None: ...

class GetLastVisibilityResponse(_message.Message):
    __slots__ = ("visibility",)
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    visibility: _visibility_pb2.Visibility
    def __init__(self, visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ...) -> None: ...

class GetGenerationRequest(_message.Message):
    __slots__ = ("generation_id", "viewer_id")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    viewer_id: str
    def __init__(self, generation_id: _Optional[str] = ..., viewer_id: _Optional[str] = ...) -> None: ...

class GetGenerationResponse(_message.Message):
    __slots__ = ("generation",)
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    generation: Generation
    def __init__(self, generation: _Optional[_Union[Generation, _Mapping]] = ...) -> None: ...

class ListGenerationsRequest(_message.Message):
    __slots__ = ("owner_id", "page_size", "cursor")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    page_size: int
    cursor: str
    def __init__(self, owner_id: _Optional[str] = ..., page_size: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListGenerationsResponse(_message.Message):
    __slots__ = ("generations", "next_cursor")
    GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    generations: _containers.RepeatedCompositeFieldContainer[Generation]
    next_cursor: str
    def __init__(self, generations: _Optional[_Iterable[_Union[Generation, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class BatchGetImagesRequest(_message.Message):
    __slots__ = ("image_ids", "viewer_id")
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    viewer_id: str
    def __init__(self, image_ids: _Optional[_Iterable[str]] = ..., viewer_id: _Optional[str] = ...) -> None: ...

class BatchGetImagesResponse(_message.Message):
    __slots__ = ("images",)
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[Image]
    def __init__(self, images: _Optional[_Iterable[_Union[Image, _Mapping]]] = ...) -> None: ...

class DeleteGenerationRequest(_message.Message):
    __slots__ = ("generation_id", "actor_id", "undoable")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    UNDOABLE_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    actor_id: str
    undoable: bool
    def __init__(self, generation_id: _Optional[str] = ..., actor_id: _Optional[str] = ..., undoable: _Optional[bool] = ...) -> None: ...

class DeleteGenerationResponse(_message.Message):
    __slots__ = ("deleted_image_ids", "undo_until")
    DELETED_IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    UNDO_UNTIL_FIELD_NUMBER: _ClassVar[int]
    deleted_image_ids: _containers.RepeatedScalarFieldContainer[str]
    undo_until: _timestamp_pb2.Timestamp
    def __init__(self, deleted_image_ids: _Optional[_Iterable[str]] = ..., undo_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RestoreGenerationRequest(_message.Message):
    __slots__ = ("generation_id", "actor_id")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    actor_id: str
    def __init__(self, generation_id: _Optional[str] = ..., actor_id: _Optional[str] = ...) -> None: ...

class RestoreGenerationResponse(_message.Message):
    __slots__ = ("restored_image_ids",)
    RESTORED_IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    restored_image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, restored_image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchProgressRequest(_message.Message):
    __slots__ = ("generation_id", "viewer_id")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    viewer_id: str
    def __init__(self, generation_id: _Optional[str] = ..., viewer_id: _Optional[str] = ...) -> None: ...

class WatchProgressResponse(_message.Message):
    __slots__ = ("listening", "step", "total", "previews_png", "finished")
    LISTENING_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PREVIEWS_PNG_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    listening: bool
    step: int
    total: int
    previews_png: _containers.RepeatedScalarFieldContainer[bytes]
    finished: bool
    def __init__(self, listening: _Optional[bool] = ..., step: _Optional[int] = ..., total: _Optional[int] = ..., previews_png: _Optional[_Iterable[bytes]] = ..., finished: _Optional[bool] = ...) -> None: ...
