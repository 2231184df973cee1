"""The whole platform for end-to-end tests: real infra servers, every Atelier service (billing,
visibility, feed, the generation API and worker, webhooks, the gateway) as subprocesses; every process appends
its spans to one trace file. And a real browser."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS
from tests.support.last_user import StopsAfterLastUser
from tests.support.services import Infra, ServiceStack
from tools.devstack import NatsServer, free_port


@dataclass
class Platform:
    url: str
    trace_file: Path
    stack: ServiceStack


@contextmanager
def running_platform(postgres_url: str, object_store, triton_url: str) -> Iterator[Platform]:
    """Every service on the given Triton, with a NATS and a database of its own."""
    root = Path(tempfile.mkdtemp(prefix="atelier-e2e-"))
    nats_server = NatsServer(root / "nats", free_port())
    nats_server.start()
    infra = Infra.on(postgres_url, nats_server.url, object_store, triton_url)
    trace_file = root / "spans.jsonl"
    overrides = {
        "ATELIER_TRACE_FILE": str(trace_file),
        # Plans are bought on the stand-in payment provider's pages (tests/e2e/test_browser_plans.py).
        "ATELIER_BILLING_PROVIDER": "standin",
        "ATELIER_BILLING_WEBHOOK_SECRET": "whsec_e2e_stand_in_secret_000000",
        # A custom model trains in a few steps, so the browser sees its training end in seconds.
        "ATELIER_CUSTOM_MODEL_TRAIN_STEPS": "4",
    }
    stack = ServiceStack(infra, root / "logs", overrides=overrides)
    try:
        stack.start_platform()  # billing, visibility, feed, generation API and worker, gateway
        # Test receivers listen on 127.0.0.1 over plain http: allowed on this stack only.
        stack.start_webhooks()
        yield Platform(stack.gateway_url, trace_file, stack)
    finally:
        stack.stop_all()
        nats_server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def platform(postgres_url, object_store, triton_url) -> Iterator[Platform]:
    with running_platform(postgres_url, object_store, triton_url) as running:
        yield running


# The browser stops after the last test that uses it rather than at the session's end: the tiers
# after this one run asyncio tests, and Playwright's sync API keeps an event loop of its own.
_browser = StopsAfterLastUser("browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _browser.collected(items)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    _browser.torn_down(item)


@pytest.fixture(scope="session")
def running_browser() -> Iterator[Browser]:
    """One Chromium for every browser test: starting Playwright and launching it costs ~1.2 s on 2
    cores (~20 s over the tier's files when each had its own), a context is milliseconds."""
    assert CHROMIUM.exists(), "Debian's Chromium is missing: apt-get install -y chromium"
    playwright = _browser.running.enter_context(sync_playwright())
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    _browser.running.callback(browser.close)
    yield browser
    _browser.running.close()


@pytest.fixture
def browser(running_browser: Browser) -> Iterator[Browser]:
    """The session's browser; every context (cookies, storage, pages) a test opens is closed at its end,
    so no test sees another's session and no page left open keeps polling the platform."""
    yield running_browser
    for context in running_browser.contexts:
        context.close()
