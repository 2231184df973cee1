"""Input rules of the social actions, the report weights and the threshold."""

from datetime import UTC, datetime, timedelta

import pytest

from services.feed import social
from services.feed.social import Decision, InvalidInput


def test_a_reason_is_trimmed_and_must_hold_1_to_500_characters():
    assert social.clean_reason("  spam  ") == "spam"
    assert social.clean_reason("x" * 500) == "x" * 500
    for bad in ["", "   ", "x" * 501]:
        with pytest.raises(InvalidInput, match="reason"):
            social.clean_reason(bad)


def test_page_size_defaults_to_20_and_is_at_most_100():
    assert social.page_size(0) == 20 and social.page_size(100) == 100
    for bad in [-1, 101]:
        with pytest.raises(InvalidInput, match="page_size"):
            social.page_size(bad)


def test_threshold_hides_until_an_operator_restores():
    assert not social.hidden_by_reports(2, 3, None)
    assert social.hidden_by_reports(3, 3, None)
    assert not social.hidden_by_reports(0, 3, Decision.RESTORED)
    assert social.hidden_by_reports(3, 3, Decision.RESTORED)  # reported again by new people
    assert social.hidden_by_reports(0, 3, Decision.KEPT_HIDDEN)


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_a_report_weighs_by_the_reporters_standing():
    def weight(reporter: str, first_image_at: datetime | None, new_weight: float = 0.0) -> float:
        return social.report_weight(
            reporter, "owner", first_image_at, NOW, established_after=WEEK, new_reporter_weight=new_weight
        )

    assert weight("old_hand", NOW - timedelta(days=30)) == 1.0
    assert weight("old_hand", NOW - WEEK) == 1.0
    assert weight("newcomer", NOW - timedelta(days=6)) == 0.0  # images, but too recent
    assert weight("lurker", None) == 0.0  # never made an image
    assert weight("lurker", None, new_weight=0.25) == 0.25
    assert weight("owner", NOW - timedelta(days=300)) == 0.0  # the owner's own report


def test_query_whitespace_is_collapsed_and_length_bounded():
    assert social.clean_query("  red   circle ") == "red circle"
    with pytest.raises(InvalidInput, match="query"):
        social.clean_query("x" * 201)


def test_a_search_keeps_negations_and_hyphenated_words_and_drops_stray_dashes():
    assert social.clean_query('sci-fi -dog -"big cat"') == 'sci-fi -dog -"big cat"'
    assert social.clean_query("-" * 50) == ""
    assert social.clean_query("- -- --dog -!-") == "-dog !"
