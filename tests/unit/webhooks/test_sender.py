"""One attempt: re-checked at delivery time (DNS rebinding), pinned to the checked address,
signed, never following a redirect."""

from __future__ import annotations

import asyncio
import ipaddress
import time
import uuid

import httpx

from services.webhooks import signing
from services.webhooks.repository import DueDelivery
from services.webhooks.sender import Sender

BODY = b'{"id":"x"}'


def due(url: str) -> DueDelivery:
    return DueDelivery(uuid.uuid4(), url, "whsec_k", uuid.uuid4(), "generation.completed", BODY, 2)


def resolver_of(*addresses: str):
    async def resolve(host: str, port: int):
        return [ipaddress.ip_address(a) for a in addresses]

    return resolve


class Recorder:
    def __init__(self, status: int = 200, headers: dict[str, str] | None = None):
        self.requests: list[httpx.Request] = []
        self._status = status
        self._headers = headers or {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self._status, headers=self._headers)


def sender_with(handler, *addresses: str) -> Sender:
    return Sender(
        timeout_s=2,
        allow_private=False,
        allow_plain_http=False,
        resolve=resolver_of(*addresses),
        transport=httpx.MockTransport(handler),
    )


def sender(recorder: Recorder, *addresses: str) -> Sender:
    return sender_with(recorder, *addresses)


async def test_a_name_rebound_to_a_private_address_is_refused_at_delivery_without_a_request():
    recorder = Recorder()
    outcome = await sender(recorder, "169.254.169.254").attempt(due("https://hooks.example.com/in"))
    assert not outcome.delivered and outcome.response_status is None
    assert "169.254.169.254" in outcome.error and "never sent to" in outcome.error
    assert recorder.requests == []


async def test_the_request_goes_to_the_checked_address_with_the_hosts_name_and_a_valid_signature():
    recorder = Recorder()
    outcome = await sender(recorder, "93.184.215.14").attempt(due("https://hooks.example.com:8443/in?x=1"))
    assert outcome.delivered and outcome.error == ""
    (request,) = recorder.requests
    assert request.url.host == "93.184.215.14" and request.url.port == 8443 and request.url.path == "/in"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["atelier-delivery-attempt"] == "2"
    assert request.content == BODY
    assert signing.verify("whsec_k", request.headers[signing.HEADER], BODY, now=time.time())


async def test_a_redirect_is_a_failed_attempt_and_is_not_followed():
    recorder = Recorder(302, {"location": "http://169.254.169.254/latest/meta-data"})
    outcome = await sender(recorder, "93.184.215.14").attempt(due("https://hooks.example.com/in"))
    assert not outcome.delivered and outcome.response_status == 302 and "302" in outcome.error
    assert len(recorder.requests) == 1


async def test_a_server_error_is_a_failed_attempt_with_its_status():
    outcome = await sender(Recorder(503), "93.184.215.14").attempt(due("https://hooks.example.com/in"))
    assert (outcome.delivered, outcome.response_status, outcome.error) == (False, 503, "the endpoint answered 503")


async def test_the_next_checked_address_is_tried_when_one_does_not_accept():
    tried: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.host)
        if request.url.host == "2606:4700::1":
            raise httpx.ConnectError("unreachable")
        return httpx.Response(204)

    outcome = await sender_with(handler, "2606:4700::1", "93.184.215.14").attempt(due("https://hooks.example.com/in"))
    assert outcome.delivered and tried == ["2606:4700::1", "93.184.215.14"]


async def test_an_unexpected_error_costs_one_attempt_instead_of_escaping():
    def handler(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug")

    outcome = await sender_with(handler, "93.184.215.14").attempt(due("https://hooks.example.com/in"))
    assert not outcome.delivered and outcome.error == "internal error while sending; it has been logged"


async def test_a_resolver_that_hangs_costs_one_attempt_of_the_request_timeout():
    async def hanging(host: str, port: int):
        await asyncio.sleep(60)

    recorder = Recorder()
    slow = Sender(
        timeout_s=0.2,
        allow_private=False,
        allow_plain_http=False,
        resolve=hanging,
        transport=httpx.MockTransport(recorder),
    )
    outcome = await slow.attempt(due("https://hooks.example.com/in"))
    assert "did not resolve in time" in outcome.error and outcome.duration_ms < 2000 and recorder.requests == []
