"""The fake-ATS kit itself: the entry point, the registry, the request log, rate-limit headers, the
webhook sender and signatures, and the people generator every fake renders."""

from __future__ import annotations

import collections
import hashlib
import hmac
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.sandbox.fake import FakeAts
from adapters.sandbox.greenhouse import SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.lever import SANDBOX_API_KEY, LeverSandbox
from adapters.sandbox.people import HIRED, LEAD, REJECTED, STATUSES, PeopleGenerator
from adapters.sandbox.people_names import PLANTED
from adapters.sandbox.ratelimit import FixedWindow, RateLimitHeaders, TokenBucket
from adapters.sandbox.recorder import RequestLog
from adapters.sandbox.registry import FAKES, fake_class
from adapters.sandbox.webhooks import SignatureScheme, WebhookSender, sign_fields
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("provider", "secret", "unknown_path_status"),
                         [("greenhouse", SANDBOX_CLIENT_SECRET, 404), ("lever", SANDBOX_API_KEY, 401)])
def test_one_entry_point_serves_any_registered_fake(provider: str, secret: str, unknown_path_status: int) -> None:
    process = subprocess.Popen([sys.executable, "-m", "adapters.sandbox", provider, "--candidates", "12",
                                "--port", "0", "--chaos", "0"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url and secret in line and "hirebot connect " + provider in line, line
        answer = wait_until(lambda: httpx.get(f"{url.group(0)}/nowhere"), timeout=10, what="the fake answering")
        assert answer.status_code == unknown_path_status  # Greenhouse routes first, Lever authenticates first
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_registry_names_the_fakes_and_refuses_unknown_ones() -> None:
    assert fake_class("greenhouse") is GreenhouseSandbox and fake_class("lever") is LeverSandbox
    assert all(issubclass(fake_class(name), FakeAts) for name in FAKES)
    with pytest.raises(KeyError, match="greenhouse, lever"):
        fake_class("workday")


def test_request_log_keeps_the_newest_and_slices_like_a_list() -> None:
    log: RequestLog[int] = RequestLog(maxlen=3)
    for number in range(5):
        log.append(number)
    assert list(log) == [2, 3, 4] and log[-1] == 4 and log[-2:] == [3, 4] and len(log) == 3
    log.clear()
    assert not log


def test_rate_limit_headers_use_the_provider_names() -> None:
    now = [100.0]
    names = RateLimitHeaders(limit=None, remaining="X-Remaining", reset="X-Reset-At", retry_after="Retry-After")
    window = FixedWindow(2, 10.0, lambda: now[0], names)
    assert window.hit() == (True, {"X-Remaining": "1", "X-Reset-At": "110"})
    assert window.hit()[0] and window.hit() == (False, {"X-Remaining": "0", "X-Reset-At": "110", "Retry-After": "10"})
    now[0] = 110.0
    assert window.hit()[0]
    bucket = TokenBucket(rate=2.0, burst=4)
    assert bucket.take(0.0) == 0.0
    assert bucket.headers(0.0, RateLimitHeaders()) == {"X-RateLimit-Limit": "4", "X-RateLimit-Remaining": "3",
                                                      "X-RateLimit-Reset": "1"}


def test_signatures_over_the_body_or_over_fields() -> None:
    body = b'{"event":"x"}'
    digest = hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert SignatureScheme("X-Hub-Signature-256", "sha256={digest}").headers("key", body) == \
        {"X-Hub-Signature-256": f"sha256={digest}"}
    assert sign_fields("key", "tok", 1700) == hmac.new(b"key", b"tok1700", hashlib.sha256).hexdigest()


async def test_webhook_sender_retries_until_a_2xx_and_reports_every_attempt() -> None:
    answers = collections.deque([500, 503, 204])
    received: list[bytes] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(status=answers.popleft())

    app = web.Application()
    app.router.add_post("/hook", receive)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    attempts: list[tuple[int, int | None, str | None]] = []
    async with TestServer(app) as server:
        sender = WebhookSender(retry_delays=(60.0, 900.0, 3600.0), sleep=sleep)
        status = await sender.send(str(server.make_url("/hook")), b"{}", {"Content-Type": "application/json"},
                                   on_attempt=lambda *attempt: attempts.append(attempt))
    assert status == 204 and received == [b"{}"] * 3 and slept == [60.0, 900.0]
    assert attempts == [(1, 500, None), (2, 503, None), (3, 204, None)]
    gone = await WebhookSender(timeout=2.0).send("http://127.0.0.1:9/hook", b"{}", {},
                                                  on_attempt=lambda *attempt: attempts.append(attempt))
    assert gone is None and attempts[-1][:2] == (1, None) and attempts[-1][2]


def test_people_are_deterministic_awkward_and_cover_every_status() -> None:
    people = PeopleGenerator(5).people(300)
    again = PeopleGenerator(5).people(300)
    assert [(p.name, p.emails, p.statuses) for p in people] == [(p.name, p.emails, p.statuses) for p in again]
    assert [p.name for p in PeopleGenerator(6).people(300)] != [p.name for p in people]
    planted = [p for p in people if p.planted]
    assert len(planted) == len(PLANTED)
    assert max(people.index(p) for p in planted) < 0.8 * len(people)  # early enough for fakes that stop early
    assert sum(p.name == "John Smith" for p in people) >= 2
    assert {s for p in people for s in p.statuses} == set(STATUSES)
    assert {LEAD, REJECTED, HIRED} <= {p.statuses[0] for p in people}
    assert any(len(p.statuses) == 2 for p in people)
    assert any(p.preferred for p in people) and any(p.resume for p in people) and any(p.cover_letter for p in people)
    assert any(not p.emails for p in people)
    addresses = [e.value for p in people for e in p.emails]
    assert len(addresses) == len(set(addresses))
    assert all(p.emails for p in PeopleGenerator(5, without_email=0.0).people(300))
    kinds = {link.kind for p in people for link in p.links}
    assert "linkedin" in kinds and kinds - {"linkedin"}
