"""Buying a plan in a real browser on the whole platform, the stand-in payment provider playing
Stripe's part: a free user opens the pricing page from the studio's "upgrade" message, pays on the
stand-in checkout, sees the new plan and its receipt, makes a private image, then cancels in the
stand-in portal and sees the end date. Screenshots go to the test's tmp dir (and to
$ATELIER_E2E_SCREENSHOTS when set)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e


def test_pricing_is_open_to_visitors_with_prices_and_no_checkout(platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    page.get_by_role("link", name="See plans and prices").click()
    expect(page).to_have_url(f"{platform.url}/pricing")
    plus = page.locator(".price-card[data-plan=plus]")
    expect(plus.locator(".price")).to_have_text(re.compile(r"\$20\s*/ month"))
    expect(plus).to_contain_text("1000 credits a month")
    expect(page.locator(".price-card[data-plan=free]")).to_contain_text("25 credits a month")
    expect(plus.get_by_role("link", name="Sign up to get Plus")).to_have_attribute("href", "/")
    expect(page.locator(".price-card.current")).to_have_count(0)
    shot(page, tmp_path, "pricing_signed_out", full_page=True)
    # The one place the page counts credits in words ("1 credits" was shown before).
    counted = page.evaluate("import('/static/money.js').then((m) => [0, 1, 2].map(m.credits))")
    assert counted == ["0 credits", "1 credit", "2 credits"]


def test_a_free_user_upgrades_makes_a_private_image_and_cancels(platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "buyer")
    expect(page.locator("#account-credits")).to_have_text("25 credits")

    # The studio's "needs the Plus plan" message links to the pricing page.
    page.locator("#visibility-note").get_by_role("link", name="See plans").click()
    expect(page).to_have_url(f"{platform.url}/pricing")
    expect(page.locator(".price-card.current")).to_have_attribute("data-plan", "free")
    expect(page.locator(".price-card.current")).to_contain_text("Current plan")
    shot(page, tmp_path, "pricing_free_user", full_page=True)

    page.get_by_role("button", name="Upgrade to Plus").click()
    expect(page).to_have_url(re.compile(r"/billing/standin/cs_standin_"))
    expect(page.locator("#standin-title")).to_have_text("Subscribe to Atelier Plus")
    expect(page.locator(".standin-banner")).to_contain_text("Test mode")
    shot(page, tmp_path, "standin_checkout")
    page.get_by_role("button", name=re.compile(r"^Pay \$20")).click()

    expect(page).to_have_url(f"{platform.url}/billing?checkout=done")
    expect(page.locator("#billing-notice")).to_have_text("Payment confirmed: you are on the Plus plan.")
    expect(page.locator("#billing-plan")).to_have_text("Plus plan")
    expect(page.locator("#billing-period")).to_contain_text("Renews on")
    receipts = page.locator("#receipts-body tr")
    expect(receipts.filter(has_text="paid through the payment provider")).to_contain_text("$20 / month")
    expect(receipts.filter(has_text="Plus plan credits")).to_contain_text("+975 credits")
    expect(page.locator("#account-credits")).to_have_text("1000 credits")
    shot(page, tmp_path, "billing_after_checkout", full_page=True)

    page.get_by_role("link", name="Create").click()
    private_choice = page.get_by_label("Private")
    expect(private_choice).to_be_enabled()
    page.locator("#choose-private").click()
    expect(private_choice).to_be_checked()
    page.get_by_label("Prompt", exact=True).fill("a red circle on a blue background")
    page.locator("#num-images").select_option("1")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#tiles img.final")).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    expect(page.locator("#tiles .visibility-badge")).to_have_text(["Private"])

    page.goto(f"{platform.url}/billing")
    page.get_by_role("button", name="Manage or cancel subscription").click()
    expect(page).to_have_url(re.compile(r"/billing/standin/bps_standin_"))
    expect(page.locator("#standin-detail")).to_contain_text("Renews on")
    page.get_by_role("button", name="Cancel subscription").click()

    expect(page).to_have_url(f"{platform.url}/billing")
    expect(page.locator("#billing-status")).to_have_text("Cancelled")
    expect(page.locator("#billing-period")).to_have_text(re.compile(r"^Ends on .+; it will not renew\.$"))
    expect(receipts.first).to_contain_text("Plus plan cancelled: it ends on")
    shot(page, tmp_path, "billing_after_cancel", full_page=True)

    page.get_by_role("link", name="Pricing").click()
    expect(page.locator(".price-card.current")).to_have_attribute("data-plan", "plus")


def test_out_of_credits_says_one_credit_and_links_to_pricing(platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "spender")
    for _ in range(3):  # 24 of the free plan's 25 credits
        page.get_by_label("Prompt", exact=True).fill("a red circle on a blue background")
        page.locator("#num-images").select_option("8")
        page.get_by_role("button", name="Generate").click()
        expect(page.locator("#tiles img.final")).to_have_count(8, timeout=GENERATION_TIMEOUT_MS)
        expect(page.get_by_role("button", name="Generate")).to_be_enabled()
    expect(page.locator("#account-credits")).to_have_text("1 credit")

    page.locator("#num-images").select_option("2")
    page.get_by_role("button", name="Generate").click()
    error = page.locator("#generate-error")
    expect(error).to_contain_text("Out of credits")
    expect(error.get_by_role("link", name="See plans")).to_have_attribute("href", "/pricing")
    shot(page, tmp_path, "out_of_credits")
