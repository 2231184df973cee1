"""The atelier.common.v1 values every domain's messages carry, and their names in the services'
own code and tables."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from atelier.common.v1 import visibility_pb2

PUBLIC = "public"
PRIVATE = "private"
TEAM = "team"

VISIBILITY_TO_PROTO: Mapping[str, visibility_pb2.Visibility] = MappingProxyType(
    {PUBLIC: visibility_pb2.VISIBILITY_PUBLIC, PRIVATE: visibility_pb2.VISIBILITY_PRIVATE}
)
# VISIBILITY_UNSPECIFIED and values this code does not know are absent: each caller decides what
# they mean (refused, or private: never public by default).
VISIBILITY_FROM_PROTO: Mapping[int, str] = MappingProxyType(
    {value: name for name, value in VISIBILITY_TO_PROTO.items()}
)

# Every scope the visibility authority keeps, `team` included: an image enters a team's scope by
# SetVisibility, or is born there (a generation submitted to a team, registered with its team_id).
SCOPE_TO_PROTO: Mapping[str, visibility_pb2.Visibility] = MappingProxyType(
    {**VISIBILITY_TO_PROTO, TEAM: visibility_pb2.VISIBILITY_TEAM}
)
SCOPE_FROM_PROTO: Mapping[int, str] = MappingProxyType({value: name for name, value in SCOPE_TO_PROTO.items()})
