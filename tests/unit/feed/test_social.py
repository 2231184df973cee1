"""Input rules of the social actions and the report threshold."""

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


def test_query_whitespace_is_collapsed_and_length_bounded():
    assert social.clean_query("  red   circle ") == "red circle"
    with pytest.raises(InvalidInput, match="query"):
        social.clean_query("x" * 201)


def test_a_search_keeps_negations_and_hyphenated_words_and_drops_stray_dashes():
    assert social.clean_query('sci-fi -dog -"big cat"') == 'sci-fi -dog -"big cat"'
    assert social.clean_query("-" * 50) == ""
    assert social.clean_query("- -- --dog -!-") == "-dog !"
