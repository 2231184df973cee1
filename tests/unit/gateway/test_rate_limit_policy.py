"""Which bucket a request counts against, what a check answers, and who the client is."""

import pytest
from pydantic import ValidationError

from services.gateway.ratelimit.buckets import decide
from services.gateway.ratelimit.policy import RouteClass, client_address, keyed_by_account, limit_for, route_class
from services.gateway.ratelimit.settings import Rate, RateLimitSettings, parse_rate


@pytest.mark.parametrize(
    ("route", "method", "signed_in", "expected"),
    [
        ("/api/v1/auth/login", "POST", False, RouteClass.LOGIN),
        ("/api/v1/auth/login", "POST", True, RouteClass.LOGIN),
        ("/api/v1/auth/signup", "POST", False, RouteClass.SIGNUP),
        ("/api/v1/me/password", "POST", True, RouteClass.LOGIN),
        ("/api/v1/generations", "POST", True, RouteClass.SUBMIT),
        ("/api/v1/images/{image_id}/remix", "POST", True, RouteClass.SUBMIT),
        ("/api/v1/images/{image_id}/replace-background", "POST", True, RouteClass.SUBMIT),
        ("/api/v1/generations/{generation_id}/retry", "POST", True, RouteClass.SUBMIT),
        ("/api/v1/feed", "GET", False, RouteClass.ANONYMOUS_FEED),
        ("/api/v1/feed/sets", "GET", False, RouteClass.ANONYMOUS_FEED),
        ("/api/v1/users/{username}", "GET", False, RouteClass.ANONYMOUS_FEED),
        ("/api/v1/images/{image_id}/content", "GET", False, RouteClass.ANONYMOUS_READ),
        ("/api/v1/feed", "GET", True, RouteClass.READ),
        ("/api/v1/images/{image_id}", "PATCH", True, RouteClass.WRITE),
        ("/api/v1/billing/webhooks/stripe", "POST", False, None),
        ("/healthz", "GET", False, None),
        ("/i/{image_id}", "GET", False, None),
        ("", "GET", False, None),
    ],
)
def test_route_classes(route: str, method: str, signed_in: bool, expected: RouteClass | None) -> None:
    assert route_class(route, method, signed_in=signed_in) == expected


def test_log_in_and_sign_up_are_keyed_by_address_even_with_an_account() -> None:
    settings = RateLimitSettings()
    assert not keyed_by_account("/api/v1/auth/login", "POST")
    assert keyed_by_account("/api/v1/feed", "GET")
    login = limit_for(settings, "/api/v1/auth/login", "POST", account_id="u1", address="192.0.2.1")
    assert login is not None and login.bucket_key == "login:address:192.0.2.1"
    feed = limit_for(settings, "/api/v1/feed", "GET", account_id="u1", address="192.0.2.1")
    assert feed is not None and feed.bucket_key == "read:account:u1"
    anonymous = limit_for(settings, "/api/v1/feed", "GET", account_id=None, address="192.0.2.1")
    assert anonymous is not None and anonymous.bucket_key == "anonymous_feed:address:192.0.2.1"


def test_0_turns_one_limit_off_and_the_switch_turns_all_off() -> None:
    assert (
        limit_for(RateLimitSettings(rate_anonymous_feed="0"), "/api/v1/feed", "GET", account_id=None, address="a")
        is None
    )
    switched_off = RateLimitSettings(rate_limits_enabled=False)
    assert limit_for(switched_off, "/api/v1/auth/login", "POST", account_id=None, address="a") is None


@pytest.mark.parametrize(
    ("text", "expected"), [("60/minute", Rate(60, 60.0)), (" 5 / hour ", Rate(5, 3600.0)), ("0", Rate(0, 1.0))]
)
def test_rates_are_read_from_text(text: str, expected: Rate) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["60", "60/week", "-1/minute", "minute", "1.5/second"])
def test_a_bad_rate_fails_at_start_up(text: str) -> None:
    with pytest.raises(ValidationError, match="N/second, N/minute"):
        RateLimitSettings(rate_login=text)


def test_a_decision_says_when_to_come_back() -> None:
    rate = Rate(10, 60.0)  # one token every 6 s
    allowed = decide(rate, tokens_left=3.5, allowed=True)
    assert allowed.headers() == {"RateLimit-Limit": "10", "RateLimit-Remaining": "3", "RateLimit-Reset": "39"}
    denied = decide(rate, tokens_left=0.25, allowed=False)
    assert denied.headers() == {
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "59",
        "Retry-After": "5",
    }


@pytest.mark.parametrize(
    ("peer", "forwarded", "hops", "expected"),
    [
        ("192.0.2.1", "6.6.6.6", 0, "192.0.2.1"),  # no trusted proxy: the header is the client's own words
        ("10.0.0.1", "198.51.100.7", 1, "198.51.100.7"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.7", 1, "198.51.100.7"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.1", 2, "198.51.100.7"),
        ("10.0.0.1", None, 1, "10.0.0.1"),
        ("10.0.0.1", " , ", 1, "10.0.0.1"),
        (None, None, 0, "unknown"),
    ],
)
def test_the_client_address(peer: str | None, forwarded: str | None, hops: int, expected: str) -> None:
    assert client_address(peer, forwarded, hops) == expected
