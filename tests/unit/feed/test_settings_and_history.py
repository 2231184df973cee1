"""Start-up checks: bad settings fail fast, and a rebuild refuses streams that lost history."""

from types import SimpleNamespace

import pytest
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from services.feed.rebuild import IncompleteHistory, MissingStream, check_history
from services.feed.settings import FeedSettings


@pytest.fixture(autouse=True)
def cursor_secret(monkeypatch):
    monkeypatch.setenv("ATELIER_CURSOR_SECRET", "a-cursor-secret")


def test_defaults_are_valid_and_the_threshold_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ATELIER_FEED_REPORT_THRESHOLD", "5")
    settings = FeedSettings()
    assert settings.feed_report_threshold == 5
    assert settings.top_window_hours in settings.top_windows_hours


@pytest.mark.parametrize(
    "env",
    [
        {"ATELIER_FEED_REPORT_THRESHOLD": "0"},
        {"ATELIER_TOP_WINDOW_HOURS": "48"},  # the default listing must be precomputed
        {"ATELIER_TOP_WINDOWS_HOURS": "[0, 168]"},
        {"ATELIER_AUTHORIZE_TIMEOUT_S": "0"},
    ],
)
def test_bad_settings_fail_fast(monkeypatch, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError):
        FeedSettings()


def test_without_a_cursor_secret_the_settings_name_the_variable(monkeypatch):
    monkeypatch.delenv("ATELIER_CURSOR_SECRET")
    with pytest.raises(ValidationError, match="ATELIER_CURSOR_SECRET not set"):
        FeedSettings()


class FakeJetStream:
    def __init__(self, states):
        self.states = states

    async def stream_info(self, name):
        return SimpleNamespace(state=self.states[name])


def state(first_seq, num_deleted=None):
    return SimpleNamespace(first_seq=first_seq, num_deleted=num_deleted)


async def test_a_stream_holding_its_whole_history_may_be_replayed():
    await check_history(FakeJetStream({"GENERATION": state(1), "VISIBILITY": state(0)}))


@pytest.mark.parametrize(
    "states",
    [
        {"GENERATION": state(1200), "VISIBILITY": state(1)},  # max_age dropped its first messages
        {"GENERATION": state(1), "VISIBILITY": state(1, num_deleted=3)},
    ],
)
async def test_a_stream_that_lost_messages_is_refused(states):
    with pytest.raises(IncompleteHistory, match="--force"):
        await check_history(FakeJetStream(states))


class JetStreamWithout(FakeJetStream):
    """Answers like NATS for a stream nobody has created."""

    def __init__(self, states, missing):
        super().__init__(states)
        self.missing = missing

    async def stream_info(self, name):
        if name == self.missing:
            raise NotFoundError()
        return await super().stream_info(name)


@pytest.mark.parametrize("force", [False, True])
async def test_a_missing_stream_is_named_even_when_forced(force):
    with pytest.raises(MissingStream, match="stream VISIBILITY does not exist"):
        await check_history(JetStreamWithout({"GENERATION": state(1)}, missing="VISIBILITY"), force=force)


async def test_forcing_skips_only_the_history_check():
    await check_history(FakeJetStream({"GENERATION": state(1200), "VISIBILITY": state(1)}), force=True)
