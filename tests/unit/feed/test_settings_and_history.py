"""Start-up checks: bad settings fail fast, and a rebuild refuses streams that lost history."""

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from services.feed.rebuild import IncompleteHistory, check_history
from services.feed.settings import FeedSettings


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
