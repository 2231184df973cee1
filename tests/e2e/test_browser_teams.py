"""Teams in a real browser on the whole platform: a Team-plan user creates a team on the Account page
and invites a user by username; the invited user accepts; the owner shares an image with the team
from the image panel ("Team: <name>"); the member sees it through the API; the owner removes the
member, and from then on the member gets the unknown id's 404 for it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import POST_AS_ME, generate_in_studio, new_page, sign_up_here

pytestmark = pytest.mark.e2e


def _signed_up(browser: Browser, url: str, prefix: str) -> tuple[Page, str, str]:
    page = new_page(browser)
    page.goto(url)
    username = sign_up_here(page, prefix)
    return page, username, page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")


def _on_the_team_plan(platform, user_id: str) -> None:
    with platform.stack.sync_channel("billing") as channel:
        billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=user_id, plan="team", actor="operator:e2e"), timeout=10
        )


def _status(page: Page, image_id: str) -> int:
    return page.evaluate(f"fetch('/api/v1/images/{image_id}').then(r => r.status)")


def _account_teams(page: Page) -> None:
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Teams", exact=True)).to_be_visible()


def test_a_team_is_made_joined_shared_with_and_left_in_the_browser(platform, browser: Browser) -> None:
    owner, _, owner_id = _signed_up(browser, platform.url, "teamowner")
    member, member_name, _ = _signed_up(browser, platform.url, "teammate")
    _on_the_team_plan(platform, owner_id)

    # A plan without teams is told why; the Team plan creates one.
    _account_teams(member)
    member.get_by_label("Team name").fill("not allowed")
    member.get_by_role("button", name="Create team").click()
    expect(member.locator("#teams-error")).to_contain_text("Team plan")
    owner.reload()
    _account_teams(owner)
    owner.get_by_label("Team name").fill("Design crew")
    owner.get_by_role("button", name="Create team").click()
    expect(owner.locator("#teams-list h3")).to_have_text(["Design crew"])
    owner.get_by_label("Invite to Design crew").fill(member_name)
    owner.get_by_role("button", name="Invite", exact=True).click()
    expect(owner.locator("#teams-status")).to_have_text(f"Invited {member_name} to Design crew.")

    member.reload()
    _account_teams(member)
    expect(member.locator("#team-invitations li")).to_contain_text("Invitation to Design crew")
    member.get_by_role("button", name="Accept").click()
    expect(member.locator(f'#teams-list tr[data-member="{member_name}"]')).to_contain_text("Member")

    # The owner shares a fresh image with the team from the image panel.
    owner.get_by_role("link", name="Create", exact=True).click()
    generate_in_studio(owner, "a green square on a white background")
    owner.locator("#tiles .tile-open").first.click()
    team_button = owner.locator("#detail-team")
    expect(team_button).to_have_text("Team: Design crew")
    team_button.click()
    expect(team_button).to_have_attribute("aria-pressed", "true")
    expect(owner.locator("#detail-status")).to_contain_text("Shared with Design crew")
    image_id = owner.locator("#detail-img").get_attribute("src").split("/")[4]  # /api/v1/images/{id}/content
    assert _status(member, image_id) == 200
    owner.locator("#detail-close").click()

    # Removed: the member loses it at once.
    _account_teams(owner)
    remove = owner.get_by_role("button", name=f"Remove {member_name} from Design crew")
    remove.click()
    remove.click()  # confirmed
    expect(owner.locator(f'#teams-list tr[data-member="{member_name}"]')).to_have_count(0)
    assert _status(member, image_id) == 404


def test_the_studio_makes_images_born_shared_with_a_team_its_member_sees(platform, browser: Browser) -> None:
    owner, _, owner_id = _signed_up(browser, platform.url, "teamowner")
    member, member_name, _ = _signed_up(browser, platform.url, "teammate")
    _on_the_team_plan(platform, owner_id)
    created = owner.evaluate(POST_AS_ME, ["/api/v1/teams", {"name": "Studio crew"}])
    assert created["status"] == 201, created
    team_id = created["body"]["team_id"]
    invited = owner.evaluate(POST_AS_ME, [f"/api/v1/teams/{team_id}/invitations", {"username": member_name}])
    assert invited["status"] == 201, invited
    assert member.evaluate(POST_AS_ME, [f"/api/v1/teams/{team_id}/accept", {}])["status"] == 200

    owner.reload()
    owner.get_by_text("Team: Studio crew", exact=True).click()  # the segment's label (the radio is hidden)
    expect(owner.get_by_label("Team: Studio crew")).to_be_checked()
    generate_in_studio(owner, "a blue circle on a yellow background")
    owner.locator("#tiles .tile-open").first.click()
    expect(owner.locator("#detail-team")).to_have_attribute("aria-pressed", "true")
    image_id = owner.locator("#detail-img").get_attribute("src").split("/")[4]  # /api/v1/images/{id}/content
    assert _status(member, image_id) == 200
