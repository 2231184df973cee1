from atelier.common.v1 import visibility_pb2 as _visibility_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TeamRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEAM_ROLE_UNSPECIFIED: _ClassVar[TeamRole]
    TEAM_ROLE_OWNER: _ClassVar[TeamRole]
    TEAM_ROLE_ADMIN: _ClassVar[TeamRole]
    TEAM_ROLE_MEMBER: _ClassVar[TeamRole]
TEAM_ROLE_UNSPECIFIED: TeamRole
TEAM_ROLE_OWNER: TeamRole
TEAM_ROLE_ADMIN: TeamRole
TEAM_ROLE_MEMBER: TeamRole

class TeamMember(_message.Message):
    __slots__ = ("user_id", "role")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    role: TeamRole
    def __init__(self, user_id: _Optional[str] = ..., role: _Optional[_Union[TeamRole, str]] = ...) -> None: ...

class Team(_message.Message):
    __slots__ = ("team_id", "name", "version", "members", "lapsed")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    LAPSED_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    name: str
    version: int
    members: _containers.RepeatedCompositeFieldContainer[TeamMember]
    lapsed: bool
    def __init__(self, team_id: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[int] = ..., members: _Optional[_Iterable[_Union[TeamMember, _Mapping]]] = ..., lapsed: _Optional[bool] = ...) -> None: ...

class TeamInvite(_message.Message):
    __slots__ = ("team_id", "team_name", "invited_by")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_NAME_FIELD_NUMBER: _ClassVar[int]
    INVITED_BY_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    team_name: str
    invited_by: str
    def __init__(self, team_id: _Optional[str] = ..., team_name: _Optional[str] = ..., invited_by: _Optional[str] = ...) -> None: ...

class CreateTeamRequest(_message.Message):
    __slots__ = ("actor_id", "name")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    name: str
    def __init__(self, actor_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class CreateTeamResponse(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: Team
    def __init__(self, team: _Optional[_Union[Team, _Mapping]] = ...) -> None: ...

class InviteToTeamRequest(_message.Message):
    __slots__ = ("actor_id", "team_id", "invitee_id")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    INVITEE_ID_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    team_id: str
    invitee_id: str
    def __init__(self, actor_id: _Optional[str] = ..., team_id: _Optional[str] = ..., invitee_id: _Optional[str] = ...) -> None: ...

class InviteToTeamResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AnswerTeamInviteRequest(_message.Message):
    __slots__ = ("actor_id", "team_id", "accept")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    team_id: str
    accept: bool
    def __init__(self, actor_id: _Optional[str] = ..., team_id: _Optional[str] = ..., accept: _Optional[bool] = ...) -> None: ...

class AnswerTeamInviteResponse(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: Team
    def __init__(self, team: _Optional[_Union[Team, _Mapping]] = ...) -> None: ...

class SetTeamRoleRequest(_message.Message):
    __slots__ = ("actor_id", "team_id", "member_id", "role")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    team_id: str
    member_id: str
    role: TeamRole
    def __init__(self, actor_id: _Optional[str] = ..., team_id: _Optional[str] = ..., member_id: _Optional[str] = ..., role: _Optional[_Union[TeamRole, str]] = ...) -> None: ...

class SetTeamRoleResponse(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: Team
    def __init__(self, team: _Optional[_Union[Team, _Mapping]] = ...) -> None: ...

class RemoveFromTeamRequest(_message.Message):
    __slots__ = ("actor_id", "team_id", "member_id")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    team_id: str
    member_id: str
    def __init__(self, actor_id: _Optional[str] = ..., team_id: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class RemoveFromTeamResponse(_message.Message):
    __slots__ = ("privatized_image_ids",)
    PRIVATIZED_IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    privatized_image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, privatized_image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListTeamsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListTeamsResponse(_message.Message):
    __slots__ = ("teams", "invites")
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    INVITES_FIELD_NUMBER: _ClassVar[int]
    teams: _containers.RepeatedCompositeFieldContainer[Team]
    invites: _containers.RepeatedCompositeFieldContainer[TeamInvite]
    def __init__(self, teams: _Optional[_Iterable[_Union[Team, _Mapping]]] = ..., invites: _Optional[_Iterable[_Union[TeamInvite, _Mapping]]] = ...) -> None: ...

class ImageVisibility(_message.Message):
    __slots__ = ("image_id", "owner_id", "visibility", "version", "deleted", "made_with_privacy_entitlement", "team_id")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    MADE_WITH_PRIVACY_ENTITLEMENT_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    owner_id: str
    visibility: _visibility_pb2.Visibility
    version: int
    deleted: bool
    made_with_privacy_entitlement: bool
    team_id: str
    def __init__(self, image_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., version: _Optional[int] = ..., deleted: _Optional[bool] = ..., made_with_privacy_entitlement: _Optional[bool] = ..., team_id: _Optional[str] = ...) -> None: ...

class RegisterImagesRequest(_message.Message):
    __slots__ = ("owner_id", "generation_id", "image_ids", "visibility", "made_with_privacy_entitlement", "team_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    MADE_WITH_PRIVACY_ENTITLEMENT_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    generation_id: str
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    visibility: _visibility_pb2.Visibility
    made_with_privacy_entitlement: bool
    team_id: str
    def __init__(self, owner_id: _Optional[str] = ..., generation_id: _Optional[str] = ..., image_ids: _Optional[_Iterable[str]] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., made_with_privacy_entitlement: _Optional[bool] = ..., team_id: _Optional[str] = ...) -> None: ...

class RegisterImagesResponse(_message.Message):
    __slots__ = ("images",)
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[ImageVisibility]
    def __init__(self, images: _Optional[_Iterable[_Union[ImageVisibility, _Mapping]]] = ...) -> None: ...

class SetVisibilityRequest(_message.Message):
    __slots__ = ("actor_id", "image_id", "visibility", "team_id")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    image_id: str
    visibility: _visibility_pb2.Visibility
    team_id: str
    def __init__(self, actor_id: _Optional[str] = ..., image_id: _Optional[str] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., team_id: _Optional[str] = ...) -> None: ...

class SetVisibilityResponse(_message.Message):
    __slots__ = ("image",)
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: ImageVisibility
    def __init__(self, image: _Optional[_Union[ImageVisibility, _Mapping]] = ...) -> None: ...

class BatchSetVisibilityRequest(_message.Message):
    __slots__ = ("actor_id", "image_ids", "visibility", "team_id")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    visibility: _visibility_pb2.Visibility
    team_id: str
    def __init__(self, actor_id: _Optional[str] = ..., image_ids: _Optional[_Iterable[str]] = ..., visibility: _Optional[_Union[_visibility_pb2.Visibility, str]] = ..., team_id: _Optional[str] = ...) -> None: ...

class Refusal(_message.Message):
    __slots__ = ("image_id", "reason")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    reason: str
    def __init__(self, image_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class BatchSetVisibilityResponse(_message.Message):
    __slots__ = ("updated", "refused")
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    updated: _containers.RepeatedCompositeFieldContainer[ImageVisibility]
    refused: _containers.RepeatedCompositeFieldContainer[Refusal]
    def __init__(self, updated: _Optional[_Iterable[_Union[ImageVisibility, _Mapping]]] = ..., refused: _Optional[_Iterable[_Union[Refusal, _Mapping]]] = ...) -> None: ...

class AuthorizeRequest(_message.Message):
    __slots__ = ("viewer_id", "image_ids")
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    viewer_id: str
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, viewer_id: _Optional[str] = ..., image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class AuthorizeResponse(_message.Message):
    __slots__ = ("allowed_image_ids", "team_image_ids")
    ALLOWED_IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    TEAM_IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    allowed_image_ids: _containers.RepeatedScalarFieldContainer[str]
    team_image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, allowed_image_ids: _Optional[_Iterable[str]] = ..., team_image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetVisibilityRequest(_message.Message):
    __slots__ = ("owner_id", "image_ids")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, owner_id: _Optional[str] = ..., image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetVisibilityResponse(_message.Message):
    __slots__ = ("images",)
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[ImageVisibility]
    def __init__(self, images: _Optional[_Iterable[_Union[ImageVisibility, _Mapping]]] = ...) -> None: ...

class MarkDeletedRequest(_message.Message):
    __slots__ = ("actor_id", "image_ids")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, actor_id: _Optional[str] = ..., image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class MarkDeletedResponse(_message.Message):
    __slots__ = ("deleted_image_ids",)
    DELETED_IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    deleted_image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, deleted_image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RestoreImagesRequest(_message.Message):
    __slots__ = ("actor_id", "image_ids")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, actor_id: _Optional[str] = ..., image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RestoreImagesResponse(_message.Message):
    __slots__ = ("restored_image_ids",)
    RESTORED_IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    restored_image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, restored_image_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteTeamRequest(_message.Message):
    __slots__ = ("actor_id", "team_id")
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    actor_id: str
    team_id: str
    def __init__(self, actor_id: _Optional[str] = ..., team_id: _Optional[str] = ...) -> None: ...

class DeleteTeamResponse(_message.Message):
    __slots__ = ("privatized_image_ids",)
    PRIVATIZED_IMAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    privatized_image_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, privatized_image_ids: _Optional[_Iterable[str]] = ...) -> None: ...
