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
    __slots__ = ("image_id", "owner_id", "prompt", "like_count")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    LIKE_COUNT_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    owner_id: str
    prompt: str
    like_count: int
    def __init__(self, image_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., prompt: _Optional[str] = ..., like_count: _Optional[int] = ...) -> None: ...

class ListFeedRequest(_message.Message):
    __slots__ = ("viewer_id", "sort", "query", "page_size", "cursor")
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    viewer_id: str
    sort: FeedSort
    query: str
    page_size: int
    cursor: str
    def __init__(self, viewer_id: _Optional[str] = ..., sort: _Optional[_Union[FeedSort, str]] = ..., query: _Optional[str] = ..., page_size: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListFeedResponse(_message.Message):
    __slots__ = ("items", "next_cursor")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[FeedItem]
    next_cursor: str
    def __init__(self, items: _Optional[_Iterable[_Union[FeedItem, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...
