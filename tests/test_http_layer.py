"""The shared request layer against a scripted HTTP server on loopback, with time injected."""

from __future__ import annotations

import asyncio
import json
import random
import socket
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.errors import AtsError, AuthError, MalformedResponse, RateLimited
from adapters.http import AtsHttp, CredentialsRefused, RetryPolicy, parse_retry_after

START = 1_800_000_000.0


class FakeTime:
    """A clock that only moves when the code under test asks to sleep; every wait is recorded."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Scripted:
    """Answers requests from a queue of canned responses and records what it received."""

    answers: deque[dict[str, Any]] = field(default_factory=deque)
    seen: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None,
            raw: str | None = None, hang: bool = False) -> None:
        self.answers.append({"status": status, "body": body, "headers": headers or {}, "raw": raw, "hang": hang})

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append({"method": request.method, "path": request.path, "query": dict(request.query),
                          "headers": dict(request.headers), "body": await request.text()})
        answer = self.answers.popleft() if self.answers else {"status": 200, "body": [], "headers": {},
                                                               "raw": None, "hang": False}
        if answer["hang"]:
            # Outlive the client's timeout; released at teardown so the server can close.
            await asyncio.wait_for(self.release.wait(), timeout=5)
        text = answer["raw"] if answer["raw"] is not None else json.dumps(answer["body"])
        return web.Response(status=answer["status"], text=text, headers=answer["headers"],
                            content_type="application/json")


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[Scripted, str]]:
    script = Scripted()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", script.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield script, str(server.make_url("/"))
    finally:
        script.release.set()
        await server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http_client:
        yield http_client


def make_http(client: httpx.AsyncClient, time: FakeTime, **policy: Any) -> AtsHttp:
    return AtsHttp(client, provider="greenhouse", display_name="Greenhouse",
                   policy=RetryPolicy(**policy), sleep=time.sleep, clock=time.clock, rng=random.Random(3))


async def test_retries_500_and_503_then_succeeds(scripted, client) -> None:
    script, base = scripted
    script.add(500, {"message": "boom"})
    script.add(503, {"message": "down"})
    script.add(200, [{"id": 1}])
    time = FakeTime()
    reply = await make_http(client, time, base_delay=1.0, max_delay=30.0).request_json("GET", base + "v3/jobs")
    assert reply.data == [{"id": 1}]
    assert len(script.seen) == 3
    assert len(time.sleeps) == 2
    # Full jitter: each wait lies between 0 and the exponential ceiling for its attempt.
    assert 0 <= time.sleeps[0] <= 1.0 and 0 <= time.sleeps[1] <= 2.0


async def test_gives_up_after_max_attempts_with_a_plain_message(scripted, client) -> None:
    script, base = scripted
    for _ in range(5):
        script.add(503, {"message": "maintenance"})
    time = FakeTime()
    with pytest.raises(AtsError) as caught:
        await make_http(client, time, max_attempts=5).request("GET", base + "v3/jobs")
    assert str(caught.value) == "Greenhouse kept answering 503 after 5 attempts."
    assert caught.value.retryable and caught.value.status == 503
    assert len(script.seen) == 5 and len(time.sleeps) == 4
    assert all(wait <= 30.0 for wait in time.sleeps)


async def test_429_honours_retry_after_seconds(scripted, client) -> None:
    script, base = scripted
    script.add(429, {"message": "Too Many Requests"}, {"Retry-After": "7"})
    script.add(200, [])
    time = FakeTime()
    await make_http(client, time).request("GET", base + "v3/candidates")
    assert time.sleeps == [7.0]
    assert len(script.seen) == 2


async def test_503_honours_retry_after_http_date(scripted, client) -> None:
    script, base = scripted
    script.add(503, {}, {"Retry-After": formatdate(START + 20, usegmt=True)})
    script.add(200, [])
    time = FakeTime()
    await make_http(client, time).request("GET", base + "v3/candidates")
    assert time.sleeps == [pytest.approx(20.0)]


async def test_429_without_retry_after_waits_for_the_window_reset(scripted, client) -> None:
    script, base = scripted
    script.add(429, {}, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(START + 9))})
    script.add(200, [])
    time = FakeTime()
    await make_http(client, time, rate_reset_margin=0.5).request("GET", base + "v3/users")
    assert time.sleeps == [pytest.approx(9.5)]


async def test_a_very_long_retry_after_is_handed_back_not_slept(scripted, client) -> None:
    script, base = scripted
    script.add(429, {}, {"Retry-After": "3600"})
    time = FakeTime()
    with pytest.raises(RateLimited) as caught:
        await make_http(client, time, max_retry_after=120).request("GET", base + "v3/users")
    assert caught.value.retry_after == 3600
    assert time.sleeps == [] and len(script.seen) == 1


async def test_429_exhausted_raises_rate_limited(scripted, client) -> None:
    script, base = scripted
    for _ in range(3):
        script.add(429, {}, {"Retry-After": "2"})
    time = FakeTime()
    with pytest.raises(RateLimited) as caught:
        await make_http(client, time, max_attempts=3).request("GET", base + "v3/users")
    assert caught.value.retry_after == 2 and caught.value.retryable
    assert "after 3 attempts" in str(caught.value)
    assert time.sleeps == [2.0, 2.0]


async def test_pre_emptive_wait_when_the_window_is_spent(scripted, client) -> None:
    script, base = scripted
    script.add(200, [], {"X-RateLimit-Limit": "75", "X-RateLimit-Remaining": "1",
                         "X-RateLimit-Reset": str(int(START + 30))})
    script.add(200, [], {"X-RateLimit-Limit": "75", "X-RateLimit-Remaining": "0",
                         "X-RateLimit-Reset": str(int(START + 30))})
    script.add(200, [], {"X-RateLimit-Limit": "75", "X-RateLimit-Remaining": "74",
                         "X-RateLimit-Reset": str(int(START + 60))})
    time = FakeTime()
    http = make_http(client, time, rate_reset_margin=0.5)
    await http.request("GET", base + "v3/a")
    time.now += 2
    await http.request("GET", base + "v3/b")
    assert time.sleeps == []  # one request was left: no need to wait yet
    await http.request("GET", base + "v3/c")
    assert time.sleeps == [pytest.approx(28.5)]
    await http.request("GET", base + "v3/d")
    assert len(time.sleeps) == 1 and len(script.seen) == 4


async def test_pre_emptive_wait_understands_seconds_left_and_dashed_headers(scripted, client) -> None:
    script, base = scripted
    script.add(200, [], {"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "5"})
    time = FakeTime()
    http = make_http(client, time, rate_reset_margin=0.0)
    await http.request("GET", base + "v1/candidates")
    await http.request("GET", base + "v1/candidates")
    assert time.sleeps == [pytest.approx(5.0)]


async def test_reserve_slows_down_before_the_last_requests(scripted, client) -> None:
    script, base = scripted
    script.add(200, [], {"X-RateLimit-Limit": "75", "X-RateLimit-Remaining": "2",
                         "X-RateLimit-Reset": str(int(START + 10))})
    time = FakeTime()
    http = make_http(client, time, rate_limit_reserve=2, rate_reset_margin=0.0)
    await http.request("GET", base + "v3/a")
    await http.request("GET", base + "v3/b")
    assert time.sleeps == [pytest.approx(10.0)]


async def test_post_is_not_retried_after_a_500(scripted, client) -> None:
    script, base = scripted
    script.add(500, {"message": "oops"})
    time = FakeTime()
    with pytest.raises(AtsError) as caught:
        await make_http(client, time).request("POST", base + "v3/notes", json={"body": "hi"})
    assert len(script.seen) == 1 and time.sleeps == []
    assert caught.value.status == 500 and not caught.value.retryable
    assert "may already have been applied" in str(caught.value)


async def test_post_is_not_retried_after_a_timeout(scripted, client) -> None:
    script, base = scripted
    script.add(hang=True)
    time = FakeTime()
    with pytest.raises(AtsError) as caught:
        await make_http(client, time, timeout=0.2).request("POST", base + "v3/notes", json={"body": "hi"})
    assert len(script.seen) == 1 and time.sleeps == []
    assert not caught.value.retryable
    assert "did not answer" in str(caught.value)


async def test_post_is_retried_after_429(scripted, client) -> None:
    script, base = scripted
    script.add(429, {}, {"Retry-After": "1"})
    script.add(201, {"id": 5})
    time = FakeTime()
    reply = await make_http(client, time).request_json("POST", base + "v3/notes", json={"body": "hi"})
    assert reply.data == {"id": 5} and reply.status == 201
    assert [entry["method"] for entry in script.seen] == ["POST", "POST"]
    assert time.sleeps == [1.0]


async def test_post_is_retried_when_the_connection_never_opened(client) -> None:
    # Nothing listens on the port for the first attempt; the "sleep" before the retry starts the server.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Scripted()
    script.add(201, {"id": 9})
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", script.handle)
    server = TestServer(app, host="127.0.0.1", port=port)
    time = FakeTime()

    async def start_server_instead_of_sleeping(seconds: float) -> None:
        await time.sleep(seconds)
        await server.start_server()

    http = AtsHttp(client, provider="greenhouse", display_name="Greenhouse", sleep=start_server_instead_of_sleeping,
                   clock=time.clock, rng=random.Random(1))
    try:
        reply = await http.request_json("POST", f"http://127.0.0.1:{port}/v3/notes", json={"body": "hi"})
    finally:
        await server.close()
    assert reply.data == {"id": 9}
    assert len(script.seen) == 1 and len(time.sleeps) == 1
    assert http.requests_sent == 2


async def test_get_timeout_is_retried(scripted, client) -> None:
    script, base = scripted
    script.add(hang=True)
    script.add(200, [{"id": 2}])
    time = FakeTime()
    reply = await make_http(client, time, timeout=0.2).request_json("GET", base + "v3/jobs")
    assert reply.data == [{"id": 2}]
    assert len(time.sleeps) == 1


async def test_unreachable_host_fails_with_a_plain_message(client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    time = FakeTime()
    with pytest.raises(AtsError) as caught:
        await make_http(client, time, max_attempts=2).request("GET", f"http://127.0.0.1:{port}/v3/jobs")
    assert str(caught.value) == "Could not reach Greenhouse after 2 attempts (connection failed)."
    assert caught.value.retryable


async def test_401_is_an_auth_error_that_never_repeats_the_token(scripted, client) -> None:
    script, base = scripted
    token = "eyJhbGciOiJIUzI1NiJ9.secret-token-value"
    script.add(401, {"message": "Unauthorized", "errors": [f"Token could not be decoded: {token}"]})
    time = FakeTime()
    with pytest.raises(AuthError) as caught:
        await make_http(client, time).request("GET", base + "v3/users",
                                              headers={"Authorization": f"Bearer {token}"})
    error = caught.value
    assert isinstance(error, CredentialsRefused) and error.status == 401
    assert token not in str(error) and token not in error.detail
    assert "Token could not be decoded" in str(error)
    assert len(script.seen) == 1 and time.sleeps == []


async def test_403_and_404_are_not_retried(scripted, client) -> None:
    script, base = scripted
    script.add(403, {"message": "Forbidden"})
    script.add(404, {"message": "Resource not found"})
    time = FakeTime()
    http = make_http(client, time)
    with pytest.raises(AuthError) as forbidden:
        await http.request("GET", base + "v3/attachments")
    assert forbidden.value.status == 403
    with pytest.raises(AtsError) as missing:
        await http.request("GET", base + "v3/nothing")
    assert missing.value.status == 404 and not missing.value.retryable
    assert "Resource not found" in str(missing.value)
    assert len(script.seen) == 2 and time.sleeps == []


@pytest.mark.parametrize(("body", "expected"), [
    ({"message": "Unprocessable Content", "errors": ["When passing a cursor, do not include other query params."]},
     "Unprocessable Content: When passing a cursor, do not include other query params."),
    ({"message": "Unprocessable Content", "errors": [{"per_page": "must be between 1 and 500"}]},
     "Unprocessable Content: per_page: must be between 1 and 500"),
    ({"message": "Validation error", "errors": [{"message": "Must be one of: candidate, prospect", "field": "type"}]},
     "Validation error: type: Must be one of: candidate, prospect"),
    ({"error": "invalid_client", "error_description": "Client authentication failed"},
     "Client authentication failed: invalid_client"),
])
async def test_error_message_extraction(scripted, client, body: dict[str, Any], expected: str) -> None:
    script, base = scripted
    script.add(422, body)
    with pytest.raises(AtsError) as caught:
        await make_http(client, FakeTime()).request("GET", base + "v3/candidates")
    assert caught.value.status == 422 and not caught.value.retryable
    assert str(caught.value) == f"Greenhouse rejected the request (422): {expected}."


async def test_an_unreadable_body_is_read_again(scripted, client) -> None:
    script, base = scripted
    script.add(200, raw='[{"id": 1}, {"id"')
    script.add(200, [{"id": 1}])
    time = FakeTime()
    reply = await make_http(client, time).request_json("GET", base + "v3/candidates")
    assert reply.data == [{"id": 1}]
    assert len(script.seen) == 2 and len(time.sleeps) == 1


async def test_a_body_that_stays_unreadable_is_a_malformed_response(scripted, client) -> None:
    script, base = scripted
    for _ in range(3):
        script.add(200, raw="<html>maintenance</html>")
    with pytest.raises(MalformedResponse) as caught:
        await make_http(client, FakeTime(), max_attempts=3).request_json("GET", base + "v3/candidates")
    assert "could not read" in str(caught.value)
    assert len(script.seen) == 3


async def test_an_unreadable_answer_to_a_post_is_not_sent_again(scripted, client) -> None:
    script, base = scripted
    script.add(201, raw='{"id": ')
    with pytest.raises(MalformedResponse):
        await make_http(client, FakeTime()).request_json("POST", base + "v3/notes", json={"body": "hi"})
    assert len(script.seen) == 1


async def test_link_header_next_is_exposed(scripted, client) -> None:
    script, base = scripted
    script.add(200, [], {"Link": f'<{base}v3/jobs?cursor=abc>; rel="next"'})
    reply = await make_http(client, FakeTime()).request_json("GET", base + "v3/jobs")
    assert reply.next_url == f"{base}v3/jobs?cursor=abc"


def test_parse_retry_after() -> None:
    assert parse_retry_after("12", now=START) == 12.0
    assert parse_retry_after(formatdate(START + 45, usegmt=True), now=START) == pytest.approx(45.0)
    assert parse_retry_after(formatdate(START - 45, usegmt=True), now=START) == 0.0
    assert parse_retry_after("soon", now=START) is None
    assert parse_retry_after(None, now=START) is None
