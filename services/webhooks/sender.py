"""One delivery attempt: the endpoint's host resolved and checked again (destinations.py), the
connection pinned to a checked address (the URL's host stays in `Host` and in TLS's SNI and
certificate check), the body POSTed with its signature. Redirects are not followed (a 3xx is a
failed attempt): a redirect could point anywhere the check did not see."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from datetime import UTC, datetime

import httpx

from services.webhooks import signing
from services.webhooks.destinations import (
    InvalidEndpoint,
    IpAddress,
    RefusedDestination,
    Resolver,
    checked_addresses,
    parse_endpoint_url,
    system_resolver,
)
from services.webhooks.repository import DueDelivery, Outcome

log = logging.getLogger(__name__)
USER_AGENT = "Atelier-Webhooks/1"
MAX_ERROR_LENGTH = 300


def _pinned_url(url: str, address: IpAddress) -> httpx.URL:
    return httpx.URL(url).copy_with(host=str(address))


class Sender:
    def __init__(
        self,
        *,
        timeout_s: float,
        allow_private: bool,
        allow_plain_http: bool,
        resolve: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
        ca_bundle: str = "",
    ):
        self._timeout_s = timeout_s
        self._allow_private = allow_private
        self._allow_plain_http = allow_plain_http
        self._resolve = resolve
        # No proxies from the environment (trust_env): a proxy would resolve the host itself,
        # past the check. No kept-alive connections: one is pooled by the address it was pinned to,
        # and another host on that address would be sent over a TLS session checked for the first.
        self._client = httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            transport=transport,
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def attempt(self, due: DueDelivery) -> Outcome:
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        status: int | None = None
        error = ""
        try:
            status = await self._post(due)
            if not 200 <= status < 300:
                error = f"the endpoint answered {status}"
        except InvalidEndpoint as refused:
            error = str(refused)
        except httpx.TimeoutException:
            error = "no answer in time"
        except httpx.HTTPError as failure:
            error = f"could not connect: {failure}" if str(failure) else f"could not connect ({type(failure).__name__})"
        except Exception:  # a bug must cost one attempt, not stop the delivery from ever finishing
            log.exception("webhook attempt failed unexpectedly", extra={"delivery_id": str(due.delivery_id)})
            error = "internal error while sending; it has been logged"
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        return Outcome(started_at, status, error[:MAX_ERROR_LENGTH], elapsed_ms)

    async def _post(self, due: DueDelivery) -> int:
        endpoint = parse_endpoint_url(due.url, allow_plain_http=self._allow_plain_http)
        # Resolution is not bounded by the HTTP client's timeout: bounded here, with the same one.
        checking = checked_addresses(endpoint, allow_private=self._allow_private, resolve=self._resolve)
        try:
            addresses = await asyncio.wait_for(checking, self._timeout_s)
        except TimeoutError:
            raise RefusedDestination(f"url: the host {endpoint.host} did not resolve in time") from None
        original = httpx.URL(due.url)
        headers = {
            "Host": original.netloc.decode("ascii"),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Atelier-Event-Id": str(due.event_id),
            "Atelier-Event-Type": due.event_type,
            "Atelier-Delivery-Attempt": str(due.attempt),
            signing.HEADER: signing.header_value(due.signing_secret, int(time.time()), due.body),
        }
        extensions = {"sni_hostname": endpoint.host} if endpoint.scheme == "https" else {}
        for address in addresses[:-1]:  # the next address when one does not accept (IPv6 and IPv4, say)
            try:
                return await self._send(_pinned_url(due.url, address), due.body, headers, extensions)
            except httpx.ConnectError:
                continue
        return await self._send(_pinned_url(due.url, addresses[-1]), due.body, headers, extensions)

    async def _send(self, url: httpx.URL, body: bytes, headers: dict[str, str], extensions: dict[str, str]) -> int:
        response = await self._client.post(url, content=body, headers=headers, extensions=extensions)
        return response.status_code
