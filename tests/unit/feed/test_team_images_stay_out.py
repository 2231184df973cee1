"""A team image never shows in a public listing: the feed's client of the authority drops what the
authority allowed only through a team, even while the read model has not yet seen it leave the
public scope."""

from atelier.visibility.v1 import visibility_pb2
from services.feed.visibility_client import VisibilityClient

PUBLIC_ID, TEAM_ID, PRIVATE_ID = "img-public", "img-team", "img-private"


class Authority:
    async def Authorize(self, request: visibility_pb2.AuthorizeRequest, timeout: float):
        return visibility_pb2.AuthorizeResponse(allowed_image_ids=[PUBLIC_ID, TEAM_ID], team_image_ids=[TEAM_ID])


async def test_a_member_is_not_shown_a_team_image_in_a_feed_page():
    client = VisibilityClient.__new__(VisibilityClient)
    client._stub = Authority()  # type: ignore[assignment]
    client._timeout_s = 1.0
    assert await client.allowed("a-member", [PUBLIC_ID, TEAM_ID, PRIVATE_ID]) == {PUBLIC_ID}
