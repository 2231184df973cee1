"""Cookies are `Secure` except on plain http to a loopback host; HSTS over HTTPS, also behind a
trusted TLS-terminating proxy, never on a client's word (issue 10)."""

import httpx

from services.gateway.settings import GatewaySettings
from tests.integration.gateway.conftest import PASSWORD, UNUSED_OBJECT_STORE_KEYS, Gateway
from tests.support.services import CURSOR_SECRET

HSTS = "strict-transport-security"


def _secure_flags(response: httpx.Response) -> dict[str, bool]:
    return {header.split("=", 1)[0]: "; secure" in header.lower() for header in response.headers.get_list("set-cookie")}


async def _sign_up(gateway: Gateway, base_url: str, username: str, headers: dict | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=gateway.app, client=("10.0.0.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        response = await client.post(
            "/api/v1/auth/signup", json={"username": username, "password": PASSWORD}, headers=headers or {}
        )
    assert response.status_code == 201, response.text
    return response


async def test_cookies_are_secure_everywhere_but_plain_http_on_loopback(gateway: Gateway) -> None:
    for number, (base_url, secure) in enumerate(
        [
            ("http://127.0.0.1:8080", False),
            ("http://localhost", False),
            ("http://[::1]:8080", False),
            ("http://atelier.example", True),
            ("http://192.168.1.20:8080", True),
            ("https://atelier.example", True),
            ("https://localhost", True),
        ]
    ):
        flags = _secure_flags(await _sign_up(gateway, base_url, f"user{number}"))
        assert flags == {"atelier_session": secure, "atelier_csrf": secure}, base_url


async def test_cookie_secure_false_is_an_explicit_opt_out(gateway: Gateway) -> None:
    gateway.app.state.settings = gateway.app.state.settings.model_copy(update={"cookie_secure": False})
    flags = _secure_flags(await _sign_up(gateway, "http://atelier.example", "lan"))
    assert flags == {"atelier_session": False, "atelier_csrf": False}


async def test_hsts_over_https_only(gateway: Gateway) -> None:
    over_https = await _sign_up(gateway, "https://atelier.example", "tls")
    assert over_https.headers[HSTS] == "max-age=31536000; includeSubDomains"
    plain = await _sign_up(gateway, "http://atelier.example", "plain")
    assert HSTS not in plain.headers
    claimed = await _sign_up(gateway, "http://atelier.example", "claims", {"X-Forwarded-Proto": "https"})
    assert HSTS not in claimed.headers  # 10.0.0.7 is no trusted proxy


async def test_a_trusted_proxy_vouches_for_https(gateway: Gateway) -> None:
    from services.gateway.app import create_app

    settings = GatewaySettings(
        database_url=gateway.database_url,
        **UNUSED_OBJECT_STORE_KEYS,
        cursor_secret=CURSOR_SECRET,
        trusted_proxies="10.0.0.7",
    )
    app = create_app(settings, gateway.app.state.deps)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://atelier.example") as client:
        behind_tls = await client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        plain = await client.get("/healthz")
    assert behind_tls.headers[HSTS].startswith("max-age=")
    assert HSTS not in plain.headers
