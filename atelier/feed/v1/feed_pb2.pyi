import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FeedSort(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEED_SORT_UNSPECIFIED: _ClassVar[FeedSort]
    FEED_SORT_NEW: _ClassVar[FeedSort]
    FEED_SORT_TOP: _ClassVar[FeedSort]
FEED_SORT_UNSPECIFIED: FeedSort
FEED_SORT_NEW: FeedSort
FEED_SORT_TOP: FeedSort

class FeedItem(_message.Message):
    __slots__ = ("image_id", "owner_id", "prompt", "like_count", "created_at", "liked_by_viewer", "width", "height")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    LIKE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LIKED_BY_VIEWER_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    owner_id: str
    prompt: str
    like_count: int
    created_at: _timestamp_pb2.Timestamp
    liked_by_viewer: bool
    width: int
    height: int
    def __init__(self, image_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., prompt: _Optional[str] = ..., like_count: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., liked_by_viewer: _Optional[bool] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class ListFeedRequest(_message.Message):
    __slots__ = ("viewer_id", "sort", "query", "page_size", "cursor", "window_hours", "all_time")
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    WINDOW_HOURS_FIELD_NUMBER: _ClassVar[int]
    ALL_TIME_FIELD_NUMBER: _ClassVar[int]
    viewer_id: str
    sort: FeedSort
    query: str
    page_size: int
    cursor: str
    window_hours: int
    all_time: bool
    def __init__(self, viewer_id: _Optional[str] = ..., sort: _Optional[_Union[FeedSort, str]] = ..., query: _Optional[str] = ..., page_size: _Optional[int] = ..., cursor: _Optional[str] = ..., window_hours: _Optional[int] = ..., all_time: _Optional[bool] = ...) -> None: ...

class ListFeedResponse(_message.Message):
    __slots__ = ("items", "next_cursor")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[FeedItem]
    next_cursor: str
    def __init__(self, items: _Optional[_Iterable[_Union[FeedItem, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class ImageSocial(_message.Message):
    __slots__ = ("image_id", "like_count", "liked_by_viewer", "pinned")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    LIKE_COUNT_FIELD_NUMBER: _ClassVar[int]
    LIKED_BY_VIEWER_FIELD_NUMBER: _ClassVar[int]
    PINNED_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    like_count: int
    liked_by_viewer: bool
    pinned: bool
    def __init__(self, image_id: _Optional[str] = ..., like_count: _Optional[int] = ..., liked_by_viewer: _Optional[bool] = ..., pinned: _Optional[bool] = ...) -> None: ...

class BatchGetSocialRequest(_message.Message):
    __slots__ = ("viewer_id", "image_ids")
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    viewer_id: str
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, viewer_id: _Optional[str] = ..., image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetSocialResponse(_message.Message):
    __slots__ = ("images",)
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[ImageSocial]
    def __init__(self, images: _Optional[_Iterable[_Union[ImageSocial, _Mapping]]] = ...) -> None: ...

class LikeRequest(_message.Message):
    __slots__ = ("user_id", "image_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    image_id: str
    def __init__(self, user_id: _Optional[str] = ..., image_id: _Optional[str] = ...) -> None: ...

class LikeResponse(_message.Message):
    __slots__ = ("like_count",)
    LIKE_COUNT_FIELD_NUMBER: _ClassVar[int]
    like_count: int
    def __init__(self, like_count: _Optional[int] = ...) -> None: ...

class UnlikeRequest(_message.Message):
    __slots__ = ("user_id", "image_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    image_id: str
    def __init__(self, user_id: _Optional[str] = ..., image_id: _Optional[str] = ...) -> None: ...

class UnlikeResponse(_message.Message):
    __slots__ = ("like_count",)
    LIKE_COUNT_FIELD_NUMBER: _ClassVar[int]
    like_count: int
    def __init__(self, like_count: _Optional[int] = ...) -> None: ...

class PinRequest(_message.Message):
    __slots__ = ("user_id", "image_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    image_id: str
    def __init__(self, user_id: _Optional[str] = ..., image_id: _Optional[str] = ...) -> None: ...

class PinResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UnpinRequest(_message.Message):
    __slots__ = ("user_id", "image_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    image_id: str
    def __init__(self, user_id: _Optional[str] = ..., image_id: _Optional[str] = ...) -> None: ...

class UnpinResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReportRequest(_message.Message):
    __slots__ = ("user_id", "image_id", "reason")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    image_id: str
    reason: str
    def __init__(self, user_id: _Optional[str] = ..., image_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReportResponse(_message.Message):
    __slots__ = ("hidden",)
    HIDDEN_FIELD_NUMBER: _ClassVar[int]
    hidden: bool
    def __init__(self, hidden: _Optional[bool] = ...) -> None: ...

class ReportEntry(_message.Message):
    __slots__ = ("image_id", "report_count", "reasons", "hidden")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_COUNT_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    report_count: int
    reasons: _containers.RepeatedScalarFieldContainer[str]
    hidden: bool
    def __init__(self, image_id: _Optional[str] = ..., report_count: _Optional[int] = ..., reasons: _Optional[_Iterable[str]] = ..., hidden: _Optional[bool] = ...) -> None: ...

class ListReportsRequest(_message.Message):
    __slots__ = ("page_size", "cursor")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    cursor: str
    def __init__(self, page_size: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListReportsResponse(_message.Message):
    __slots__ = ("reports", "next_cursor")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[ReportEntry]
    next_cursor: str
    def __init__(self, reports: _Optional[_Iterable[_Union[ReportEntry, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class ResolveReportRequest(_message.Message):
    __slots__ = ("image_id", "restore", "actor")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    RESTORE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    restore: bool
    actor: str
    def __init__(self, image_id: _Optional[str] = ..., restore: _Optional[bool] = ..., actor: _Optional[str] = ...) -> None: ...

class ResolveReportResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetProfileRequest(_message.Message):
    __slots__ = ("owner_id", "viewer_id", "page_size", "cursor")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    viewer_id: str
    page_size: int
    cursor: str
    def __init__(self, owner_id: _Optional[str] = ..., viewer_id: _Optional[str] = ..., page_size: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class GetProfileResponse(_message.Message):
    __slots__ = ("pinned", "images", "next_cursor")
    PINNED_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    pinned: _containers.RepeatedCompositeFieldContainer[FeedItem]
    images: _containers.RepeatedCompositeFieldContainer[FeedItem]
    next_cursor: str
    def __init__(self, pinned: _Optional[_Iterable[_Union[FeedItem, _Mapping]]] = ..., images: _Optional[_Iterable[_Union[FeedItem, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...
