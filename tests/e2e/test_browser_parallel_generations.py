"""Generations at once in a real browser (headless Debian Chromium) on the whole platform: Generate
stays open while sets run, up to the plan's limit (Free 1, Plus 4); at the limit it is disabled and
says why; private sets carry a lock badge in the studio history and in Creations. The generation
worker is stopped meanwhile, so that the sets stay queued for as long as the test looks at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e

FREE_LIMIT = "Your Free plan runs 1 generation at a time: Generate comes back when it finishes."
PLUS_LIMIT = "Your Plus plan runs 4 generations at once: Generate comes back when one finishes."


class StoppedWorker:
    def __init__(self, platform) -> None:
        self.platform = platform
        self.running = False

    def start(self) -> None:
        if not self.running:
            self.platform.stack.start_worker()
            self.running = True


@pytest.fixture
def worker(platform) -> Iterator[StoppedWorker]:
    """The generation worker stopped, and started again by the test or at its end."""
    platform.stack.stop("generation-worker")
    stopped = StoppedWorker(platform)
    try:
        yield stopped
    finally:
        stopped.start()


def _sign_up(browser: Browser, url: str, prefix: str) -> Page:
    page = new_page(browser)
    page.goto(url)
    sign_up_here(page, prefix)
    return page


def _change_plan(platform, page: Page, plan: str) -> None:
    user_id = page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")
    with platform.stack.sync_channel("billing") as channel:
        billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=user_id, plan=plan, actor="operator:e2e"), timeout=10
        )
    page.reload()
    expect(page.locator("#account-plan")).to_have_text(plan.capitalize())


def _submit(page: Page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#current-prompt")).to_have_text(prompt)


def test_generate_stays_open_up_to_the_plans_limit(platform, browser, worker: StoppedWorker, tmp_path: Path) -> None:
    free = _sign_up(browser, platform.url, "one_at_a_time")
    free.locator("#num-images").select_option("1")
    _submit(free, "a red circle")
    generate = free.get_by_role("button", name="Generate")
    expect(generate).to_be_disabled()
    expect(generate).to_have_attribute("title", FREE_LIMIT)
    expect(free.locator("#generate-limit-note")).to_have_text(FREE_LIMIT)
    shot(free, tmp_path, "parallel_free_at_limit", full_page=True)

    plus = _sign_up(browser, platform.url, "four_at_once")
    _change_plan(platform, plus, "plus")
    plus.get_by_text("Private", exact=True).first.click()
    plus.locator("#num-images").select_option("1")
    generate = plus.get_by_role("button", name="Generate")
    for n, prompt in enumerate(["a red circle", "a blue square", "a green star", "a yellow triangle"], start=1):
        _submit(plus, prompt)
        expect(plus.locator("#history .history-card")).to_have_count(n)
        if n < 4:
            expect(generate).to_be_enabled()  # while the sets before it run
            expect(plus.locator("#generate-limit-note")).to_be_hidden()
    expect(generate).to_be_disabled()
    expect(plus.locator("#generate-limit-note")).to_have_text(PLUS_LIMIT)
    expect(plus.locator("#history .history-card .visibility-badge.is-private")).to_have_count(4)
    shot(plus, tmp_path, "parallel_plus_at_limit", full_page=True)

    worker.start()
    expect(plus.locator("#history .history-card.succeeded")).to_have_count(4, timeout=GENERATION_TIMEOUT_MS)
    expect(generate).to_be_enabled()
    expect(plus.locator("#generate-limit-note")).to_be_hidden()
    expect(plus.locator("#history .history-card .visibility-badge.is-private")).to_have_count(4)
    expect(free.get_by_role("button", name="Generate")).to_be_enabled(timeout=GENERATION_TIMEOUT_MS)

    plus.get_by_role("link", name="Creations").click()
    expect(plus.locator("#creations-grid .creation")).to_have_count(4)
    expect(plus.locator("#creations-grid .visibility-badge.is-private")).to_have_count(4)
    shot(plus, tmp_path, "parallel_plus_creations", full_page=True)
