"""Feed and profile items as the public API shows them: owner ids become usernames and profile
photos, and every image id on a page — the items and the owners' photos alike — is authorised for
the viewer in one batched Authorize call before anything about it is shown.

The feed service already checks each page against the visibility authority (P1); the gateway asks
again, in the same call that decides which profile photos may be shown, so that a page mixing in
something the viewer may not see can never reach the viewer. A profile photo is an ordinary image:
shown (as a URL to its bytes, which are authorised again when fetched) only while the viewer may see
it, so a photo made private disappears for everyone but its owner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC

from atelier.feed.v1 import feed_pb2
from services.gateway.api.feed_schemas import FeedItemOut, OwnerOut
from services.gateway.api.views import content_url
from services.gateway.dependencies import GatewayDeps
from services.gateway.repository import User


def avatar_url(user: User | None, allowed: set[str]) -> str | None:
    if user is None or user.avatar_image_id is None or str(user.avatar_image_id) not in allowed:
        return None
    return f"{content_url(str(user.avatar_image_id))}?size=thumb"


def profile_url(username: str) -> str:
    return f"/u/{username}"


class PageContext:
    """What one page needs to show its items: the owners' accounts and which ids the viewer may see."""

    def __init__(self, owners: Mapping[str, User], allowed: set[str]):
        self.owners = owners
        self.allowed = allowed

    @classmethod
    async def load(
        cls, deps: GatewayDeps, viewer_id: str, items: Sequence[feed_pb2.FeedItem], extra_users: Sequence[User] = ()
    ) -> PageContext:
        owners = dict(await deps.accounts.users([item.owner_id for item in items]))
        for user in extra_users:
            owners[str(user.id)] = user
        ids = [item.image_id for item in items]
        ids += [str(user.avatar_image_id) for user in owners.values() if user.avatar_image_id is not None]
        if not ids:
            return cls(owners, set())
        # Feed pages, profiles and avatars are public places: a team image never shows there,
        # even to its team's members.
        decided = await deps.visibility.authorize_scoped(viewer_id, ids)
        return cls(owners, decided.allowed - decided.through_team)

    def item(self, item: feed_pb2.FeedItem, viewer_id: str, visibility: str = "public") -> FeedItemOut | None:
        """None when the viewer may not see the image."""
        if item.image_id not in self.allowed:
            return None
        owner = self.owners.get(item.owner_id)
        return FeedItemOut(
            image_id=item.image_id,
            url=content_url(item.image_id),
            prompt=item.prompt,
            owner=OwnerOut(username=owner.username if owner else None, avatar_url=avatar_url(owner, self.allowed)),
            like_count=item.like_count,
            liked_by_you=bool(viewer_id) and item.liked_by_viewer,
            created_at=item.created_at.ToDatetime(tzinfo=UTC) if item.HasField("created_at") else None,
            width=item.width,
            height=item.height,
            owned_by_you=bool(viewer_id) and item.owner_id == viewer_id,
            visibility=visibility,
        )

    def items(
        self, items: Sequence[feed_pb2.FeedItem], viewer_id: str, visibility: Mapping[str, str] | None = None
    ) -> list[FeedItemOut]:
        shown = (self.item(item, viewer_id, (visibility or {}).get(item.image_id, "public")) for item in items)
        return [item for item in shown if item is not None]
