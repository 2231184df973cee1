"""Where a webhook may be sent (SSRF): the URL's shape, and every address its host resolves to.

An endpoint URL is the user's to choose, and the delivery is a request our own network makes, so
a URL naming the metadata service (169.254.169.254), a database on the pod network or the
service's own loopback would turn webhooks into a way to reach them. Every address the host
resolves to must be global; the check runs at registration and again at each delivery, on the
addresses the request then connects to (sender.py pins the connection to them), so a name that
resolved to a public address at registration and to a private one later (DNS rebinding) is
refused then. A development stack or a test allows private addresses (and plain http) by an
explicit setting.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses a connection to them would use.
Resolver = Callable[[str, int], Awaitable[list[IpAddress]]]


class InvalidEndpoint(ValueError):
    """The URL can never be an endpoint here; the message is for the user."""


class RefusedDestination(InvalidEndpoint):
    """The host resolves to an address webhooks are not sent to (or does not resolve)."""


@dataclass(frozen=True)
class EndpointUrl:
    url: str
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int


def parse_endpoint_url(url: str, *, allow_plain_http: bool) -> EndpointUrl:
    if len(url) > MAX_URL_LENGTH:
        raise InvalidEndpoint(f"url: at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidEndpoint("url: must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidEndpoint(f"url: not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and allow_plain_http):
        raise InvalidEndpoint("url: must start with https://")
    if not parts.hostname:
        raise InvalidEndpoint("url: must name a host, e.g. https://example.com/hooks/atelier")
    if parts.username is not None or parts.password is not None:
        raise InvalidEndpoint("url: must not carry a user name or password; authenticate deliveries by their signature")
    if parts.fragment:
        raise InvalidEndpoint("url: must not have a #fragment")
    if not parts.hostname.isascii():
        raise InvalidEndpoint("url: write an international domain name in its xn-- (punycode) form")
    return EndpointUrl(url, scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80))


def _unwrapped(address: IpAddress) -> IpAddress:
    """The IPv4 address an IPv6 form embeds (::ffff:a.b.c.d, 6to4, Teredo), else the address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return embedded
    return address


def address_allowed(address: IpAddress) -> bool:
    """Only global unicast: no loopback, private (RFC 1918, ULA), link-local, carrier-grade NAT,
    multicast, reserved, unspecified or documentation range, in either IP version."""
    for candidate in {address, _unwrapped(address)}:
        if not candidate.is_global or candidate.is_multicast:
            return False
    return True


async def system_resolver(host: str, port: int) -> list[IpAddress]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RefusedDestination(f"url: the host {host} does not resolve ({error})") from None
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos))


async def checked_addresses(
    endpoint: EndpointUrl, *, allow_private: bool, resolve: Resolver = system_resolver
) -> list[IpAddress]:
    """Every address the host resolves to now, all of them allowed; RefusedDestination otherwise
    (one bad address refuses the whole name: a resolver may hand out any of them)."""
    addresses = await resolve(endpoint.host, endpoint.port)
    if not addresses:
        raise RefusedDestination(f"url: the host {endpoint.host} does not resolve")
    if not allow_private:
        refused = [str(address) for address in addresses if not address_allowed(address)]
        if refused:
            raise RefusedDestination(
                f"url: {endpoint.host} resolves to {', '.join(refused[:3])}: a loopback, private or link-local"
                " address, which webhooks are never sent to"
            )
    return addresses
