"""Feed pages, profiles and profile photos are public places: the gateway shows there none of what
the authority allowed a viewer only as a member of a team."""

from types import SimpleNamespace

from services.gateway.api.feed_views import PageContext
from services.gateway.clients.visibility import Authorized


class Accounts:
    async def users(self, user_ids):
        return {}


class Authority:
    async def authorize_scoped(self, viewer_id, image_ids):
        return Authorized(allowed={"public", "team"}, through_team={"team"})


async def test_a_page_keeps_public_images_and_drops_team_images():
    deps = SimpleNamespace(accounts=Accounts(), visibility=Authority())
    items = [SimpleNamespace(image_id=i, owner_id="o") for i in ("public", "team", "private")]
    context = await PageContext.load(deps, "a-member", items)  # type: ignore[arg-type]
    assert context.allowed == {"public"}
