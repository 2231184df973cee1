"""Where webhooks may go: the URL's shape, and every resolved address global (SSRF)."""

from __future__ import annotations

import ipaddress

import pytest

from services.webhooks.destinations import (
    InvalidEndpoint,
    RefusedDestination,
    address_allowed,
    checked_addresses,
    parse_endpoint_url,
)


def resolver_of(*addresses: str):
    async def resolve(host: str, port: int):
        return [ipaddress.ip_address(a) for a in addresses]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "2001:db8::1",  # documentation
        "ff02::1",
    ],
)
def test_non_global_addresses_are_refused(address):
    assert not address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_global_addresses_are_allowed(address):
    assert address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://example.com/hook", "https://"),
        ("ftp://example.com/hook", "https://"),
        ("https:///hook", "must name a host"),
        ("https://user:pw@example.com/hook", "user name or password"),
        ("https://example.com/hook#x", "fragment"),
        ("https://example.com/ho ok", "spaces"),
        ("https://exämple.com/hook", "punycode"),
        ("https://example.com:99999/hook", "not a valid URL"),
        ("https://example.com/" + "a" * 2100, "at most 2048"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url, why):
    with pytest.raises(InvalidEndpoint, match=why):
        parse_endpoint_url(url, allow_plain_http=False)


def test_plain_http_only_when_the_deployment_allows_it():
    assert parse_endpoint_url("http://example.com/h", allow_plain_http=True).port == 80
    parsed = parse_endpoint_url("https://[2606:4700::1]:8443/h", allow_plain_http=False)
    assert (parsed.host, parsed.port) == ("2606:4700::1", 8443)


async def test_one_private_address_among_public_ones_refuses_the_name():
    endpoint = parse_endpoint_url("https://rebind.example/h", allow_plain_http=False)
    with pytest.raises(RefusedDestination, match="10.1.2.3"):
        await checked_addresses(endpoint, allow_private=False, resolve=resolver_of("93.184.215.14", "10.1.2.3"))


async def test_private_addresses_pass_only_with_the_development_setting():
    endpoint = parse_endpoint_url("https://localhost/h", allow_plain_http=False)
    with pytest.raises(RefusedDestination, match="loopback, private or link-local"):
        await checked_addresses(endpoint, allow_private=False, resolve=resolver_of("127.0.0.1"))
    assert await checked_addresses(endpoint, allow_private=True, resolve=resolver_of("127.0.0.1")) == [
        ipaddress.ip_address("127.0.0.1")
    ]


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::1]", "[::ffff:7f00:1]", "0"]
)
async def test_every_spelling_of_loopback_is_refused_because_the_resolved_address_is_checked(host):
    endpoint = parse_endpoint_url(f"https://{host}:9/h", allow_plain_http=False)
    with pytest.raises(RefusedDestination, match="never sent to"):
        await checked_addresses(endpoint, allow_private=False)


async def test_a_name_that_does_not_resolve_is_refused():
    endpoint = parse_endpoint_url("https://nothing.invalid/h", allow_plain_http=False)
    with pytest.raises(RefusedDestination, match="does not resolve"):
        await checked_addresses(endpoint, allow_private=False)
