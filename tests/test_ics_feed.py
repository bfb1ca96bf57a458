"""iCalendar feeds to busy time: recurrences with exceptions, zones, all-day, tentative and cancelled events,
and the TTL cache fetching over real loopback HTTP(S), with its safe error messages."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scheduler.availability import Busy
from scheduler.ics_feed import (
    FeedCache,
    FeedError,
    busy_in_calendar,
    events_near,
    feed_http_url,
    parse_busy,
    read_calendar,
)

DATA = Path(__file__).parent / "data" / "ics"
WINDOW = {"start": datetime(2026, 3, 23, tzinfo=UTC), "end": datetime(2026, 4, 4, tzinfo=UTC)}
BERLIN = ZoneInfo("Europe/Berlin")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def spans(busy: list[Busy], label: str | None = None) -> list[tuple[datetime, datetime]]:
    return [(b.start, b.end) for b in busy if label is None or b.label == label]


def calendar(*events: str, header: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{'' if 'UID:' in e else f'UID:{n}@test' + chr(13) + chr(10)}"
                   f"DTSTAMP:20260301T000000Z\r\n{e.strip()}\r\nEND:VEVENT\r\n" for n, e in enumerate(events))
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hirebot tests//EN\r\n{header}{body}"
            "END:VCALENDAR\r\n").encode()


# -- parsing ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def google_feed() -> bytes:
    return (DATA / "google_recurring.ics").read_bytes()


def test_weekly_series_drops_the_exdate_and_moves_the_overridden_instance(google_feed: bytes) -> None:
    busy = parse_busy(google_feed, **WINDOW, tz=BERLIN)
    one_on_ones = [b for b in busy if b.label and b.label.startswith("1:1")]
    # Mon 23 Mar is excluded; Mon 30 Mar 10:00 moved to Tue 31 Mar 15:00 CEST; no busy at the old time.
    assert spans(one_on_ones) == [(utc("2026-03-31T13:00"), utc("2026-03-31T13:30"))]
    assert one_on_ones[0].label == "1:1 Ana / Ben (moved)"


def test_google_utc_series_keeps_local_time_across_dst_and_skips_a_cancelled_one(google_feed: bytes) -> None:
    standups = spans(parse_busy(google_feed, **WINDOW, tz=BERLIN), "Standup")
    starts = [start for start, _ in standups]
    # X-WR-TIMEZONE: 10:00 in Berlin, which is 09:00Z before 29 March and 08:00Z after; Wed 25 is cancelled.
    assert starts == [utc("2026-03-23T09:00"), utc("2026-03-24T09:00"), utc("2026-03-26T09:00"),
                      utc("2026-03-27T09:00"), utc("2026-03-30T08:00"), utc("2026-03-31T08:00"),
                      utc("2026-04-01T08:00"), utc("2026-04-02T08:00"), utc("2026-04-03T08:00")]


def test_rdate_adds_an_instance_in_summer_time(google_feed: bytes) -> None:
    assert spans(parse_busy(google_feed, **WINDOW), "Design review") == [
        (utc("2026-03-24T13:00"), utc("2026-03-24T14:00")),
        (utc("2026-04-02T14:00"), utc("2026-04-02T15:00"))]  # 16:00 CEST


def test_all_day_events_are_whole_local_days_unless_transparent(google_feed: bytes) -> None:
    in_berlin = parse_busy(google_feed, **WINDOW, tz=BERLIN)
    assert spans(in_berlin, "Team offsite – Lisbon") == [(utc("2026-03-25T23:00"), utc("2026-03-27T23:00"))]
    assert spans(parse_busy(google_feed, **WINDOW), "Team offsite – Lisbon") == [
        (utc("2026-03-26T00:00"), utc("2026-03-28T00:00"))]  # zone unknown: UTC days
    assert not spans(in_berlin, "Karfreitag")  # TRANSP:TRANSPARENT, as Google marks holidays


def test_tentative_cancelled_and_transparent_events(google_feed: bytes) -> None:
    busy = parse_busy(google_feed, **WINDOW, tz=BERLIN)
    by_label = {b.label: b for b in busy}
    assert by_label["Lunch & learn?"].tentative is True
    assert by_label["Standup"].tentative is False
    assert "Vendor call" not in by_label  # STATUS:CANCELLED
    assert "Focus time (free)" not in by_label  # TRANSP:TRANSPARENT
    assert "Before the window" not in by_label


def test_the_owners_answer_counts_when_their_address_is_known(google_feed: bytes) -> None:
    anonymous = {b.label: b for b in parse_busy(google_feed, **WINDOW)}
    owned = {b.label: b for b in parse_busy(google_feed, **WINDOW, owner_email="Ana@Example.com")}
    assert anonymous["All hands"].tentative is False and "All hands" not in owned  # declined: free
    # Not answered yet: tentative.
    assert anonymous["Coffee chat"].tentative is False and owned["Coffee chat"].tentative is True
    assert owned["Standup"].tentative is False  # accepted


def test_outlook_windows_zone_and_busy_status() -> None:
    busy = parse_busy((DATA / "outlook_windows_zone.ics").read_bytes(), **WINDOW)
    assert [(b.start, b.end, b.tentative, b.label) for b in busy] == [
        (utc("2026-03-27T09:00"), utc("2026-03-27T10:00"), False, "Busy"),  # 3 Apr excluded, 10 Apr outside
        (utc("2026-03-31T12:00"), utc("2026-03-31T13:00"), True, "Tentative"),
        (utc("2026-04-02T11:00"), utc("2026-04-02T15:30"), False, "Away"),  # OOF is busy; FREE is skipped
    ]


def test_floating_times_are_the_attendees_wall_clock_else_utc() -> None:
    ics = calendar("DTSTART:20260305T120000\r\nDTEND:20260305T130000\r\nSUMMARY:Floating")
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    assert spans(parse_busy(ics, start=start, end=end, tz="America/New_York")) == [
        (utc("2026-03-05T17:00"), utc("2026-03-05T18:00"))]  # EST, before New York's switch on 8 March
    assert spans(parse_busy(ics, start=start, end=end)) == [
        (utc("2026-03-05T12:00"), utc("2026-03-05T13:00"))]


def test_floating_daily_series_across_new_yorks_dst_switch() -> None:
    ics = calendar("DTSTART:20260306T090000\r\nDTEND:20260306T093000\r\nRRULE:FREQ=DAILY;COUNT=4\r\n"
                   "SUMMARY:Gym")
    busy = parse_busy(ics, start=datetime(2026, 3, 6, tzinfo=UTC), end=datetime(2026, 3, 10, tzinfo=UTC),
                      tz="America/New_York")
    assert [b.start for b in busy] == [utc("2026-03-06T14:00"), utc("2026-03-07T14:00"),
                                       utc("2026-03-08T13:00"), utc("2026-03-09T13:00")]


def test_cancelled_override_of_a_tzid_series_and_a_bad_series_is_skipped_not_fatal() -> None:
    ics = calendar(
        "UID:daily@test\r\nDTSTART;TZID=Europe/Berlin:20261022T090000\r\n"
        "DTEND;TZID=Europe/Berlin:20261022T100000\r\nRRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Daily",
        "UID:daily@test\r\nDTSTART;TZID=Europe/Berlin:20261024T090000\r\n"
        "DTEND;TZID=Europe/Berlin:20261024T100000\r\nRECURRENCE-ID;TZID=Europe/Berlin:20261024T090000\r\n"
        "STATUS:CANCELLED\r\nSUMMARY:Daily",
        "DTSTART:20261022T120000Z\r\nDTEND:20261022T130000Z\r\nRRULE:FREQ=SOMETIMES\r\nSUMMARY:Broken",
    )
    busy = parse_busy(ics, start=datetime(2026, 10, 20, tzinfo=UTC), end=datetime(2026, 10, 30, tzinfo=UTC))
    # 09:00 Berlin is 07:00Z in summer time and 08:00Z from Sunday 25 October; Saturday 24 is cancelled.
    assert [b.start for b in busy] == [utc("2026-10-22T07:00"), utc("2026-10-23T07:00"),
                                       utc("2026-10-25T08:00"), utc("2026-10-26T08:00")]


def test_events_overlapping_the_range_edges_are_kept_whole_and_zero_length_ones_dropped() -> None:
    ics = calendar("DTSTART:20260322T230000Z\r\nDTEND:20260323T010000Z\r\nSUMMARY:Edge",
                   "DTSTART:20260324T100000Z\r\nSUMMARY:Reminder without length",
                   "DTSTART:20260322T200000Z\r\nDTEND:20260322T230000Z\r\nSUMMARY:Ends as the range starts")
    busy = parse_busy(ics, **WINDOW)
    assert spans(busy) == [(utc("2026-03-22T23:00"), utc("2026-03-23T01:00"))]


@pytest.mark.parametrize("body", [
    b"", b"<html><body>Sign in</body></html>", b"BEGIN:VEVENT\r\nEND:VEVENT\r\n", b"\xff\xfe\x00garbage",
    b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:nope\r\n"])
def test_invalid_documents_raise_a_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError) as caught:
        parse_busy(body, **WINDOW)
    assert caught.value.reason == "invalid" and not caught.value.retryable


def test_an_empty_calendar_is_no_busy_time() -> None:
    assert parse_busy(calendar(), **WINDOW) == []
    assert read_calendar(calendar()).name == "VCALENDAR"


@pytest.mark.parametrize(("url", "fetched"), [
    ("webcal://calendar.example.com/private-abc/basic.ics", "https://calendar.example.com/private-abc/basic.ics"),
    ("WEBCALS://outlook.example.com/owa/calendar/x/reachcalendar.ics?a=1",
     "https://outlook.example.com/owa/calendar/x/reachcalendar.ics?a=1"),
    ("  https://calendar.example.com/a.ics  ", "https://calendar.example.com/a.ics"),
    ("http://127.0.0.1:8080/a.ics", "http://127.0.0.1:8080/a.ics"),
])
def test_feed_urls(url: str, fetched: str) -> None:
    assert feed_http_url(url) == fetched


@pytest.mark.parametrize("url", ["ftp://example.com/a.ics", "file:///etc/passwd", "calendar.ics", "https://"])
def test_non_web_feed_urls_are_refused(url: str) -> None:
    with pytest.raises(FeedError) as caught:
        feed_http_url(url)
    assert caught.value.reason == "bad_url"


# -- fetching and caching over loopback -------------------------------------------------------------------

SECRET_PATH = "/calendar/ical/ana%40example.com/private-5e3c1d0b9f2a4c7e/basic.ics"
SECRET = "private-5e3c1d0b9f2a4c7e"


@dataclass
class FeedServer:
    """A calendar host: serves `body` at SECRET_PATH and counts requests per path."""

    body: bytes
    status: int = 200
    requests: list[str] = field(default_factory=list)
    stall: asyncio.Event = field(default_factory=asyncio.Event)
    stalling: bool = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        if request.path == "/moved":
            raise web.HTTPFound(SECRET_PATH)
        if self.stalling:
            await self.stall.wait()  # released at teardown; the client's timeout fires first
        if request.path != SECRET_PATH.replace("%40", "@"):
            return web.Response(status=404, text="Not found")
        return web.Response(status=self.status, body=self.body, content_type="text/calendar")


@dataclass
class FakeClock:
    now: datetime = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def _serve(feed: FeedServer, **kwargs: object) -> TestServer:
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", feed.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(**kwargs)
    return server


@pytest.fixture
async def feed_server() -> AsyncIterator[tuple[FeedServer, TestServer]]:
    feed = FeedServer((DATA / "google_recurring.ics").read_bytes())
    server = await _serve(feed)
    yield feed, server
    feed.stall.set()
    await server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http_client:
        yield http_client


def feed_url(server: TestServer, path: str = SECRET_PATH) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def test_within_the_ttl_no_request_and_after_it_a_refetch(feed_server, client) -> None:
    feed, server = feed_server
    clock = FakeClock()
    cache = FeedCache(clock=clock)
    first = await cache.busy(feed_url(server), client, **WINDOW, tz=BERLIN)
    assert len(feed.requests) == 1 and spans(first, "Standup")
    clock.advance(299)
    assert await cache.busy(feed_url(server), client, **WINDOW, tz=BERLIN) == first
    assert len(feed.requests) == 1
    feed.body = calendar("DTSTART:20260330T100000Z\r\nDTEND:20260330T110000Z\r\nSUMMARY:New")
    clock.advance(1)  # 300 s: the default TTL is over
    assert spans(await cache.busy(feed_url(server), client, **WINDOW)) == [
        (utc("2026-03-30T10:00"), utc("2026-03-30T11:00"))]
    assert len(feed.requests) == 2


async def test_a_custom_ttl_and_forget(feed_server, client) -> None:
    feed, server = feed_server
    clock = FakeClock()
    cache = FeedCache(clock=clock, ttl=timedelta(seconds=30))
    await cache.busy(feed_url(server), client, **WINDOW)
    clock.advance(29)
    await cache.busy(feed_url(server), client, **WINDOW)
    assert len(feed.requests) == 1
    cache.forget(feed_url(server))
    await cache.busy(feed_url(server), client, **WINDOW)
    clock.advance(30)
    await cache.busy(feed_url(server), client, **WINDOW)
    assert len(feed.requests) == 3


async def test_concurrent_searches_share_one_fetch(feed_server, client) -> None:
    feed, server = feed_server
    cache = FeedCache(clock=FakeClock())
    results = await asyncio.gather(*(cache.busy(feed_url(server), client, **WINDOW) for _ in range(5)))
    assert len(feed.requests) == 1 and all(result == results[0] for result in results)


async def test_redirects_are_followed(feed_server, client) -> None:
    feed, server = feed_server
    busy = await FeedCache(clock=FakeClock()).busy(feed_url(server, "/moved"), client, **WINDOW)
    assert feed.requests == ["/moved", SECRET_PATH.replace("%40", "@")] and busy


def assert_safe(error: FeedError, url: str) -> None:
    text = f"{error} {error!r} {error.args}"
    assert SECRET not in text and url not in text and "127.0.0.1" not in text
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


@pytest.mark.parametrize(("status", "reason", "retryable"), [
    (404, "gone", False), (410, "gone", False), (401, "refused", False), (403, "refused", False),
    (500, "server", True), (503, "server", True), (429, "server", True), (204, "http", False),
])
async def test_http_errors_become_safe_feed_errors(feed_server, client, status, reason, retryable) -> None:
    feed, server = feed_server
    feed.status = status
    with pytest.raises(FeedError) as caught:
        await FeedCache(clock=FakeClock()).busy(feed_url(server), client, **WINDOW)
    assert (caught.value.reason, caught.value.retryable) == (reason, retryable)
    assert_safe(caught.value, feed_url(server))


async def test_a_failure_is_not_cached(feed_server, client) -> None:
    feed, server = feed_server
    cache = FeedCache(clock=FakeClock())
    feed.status = 503
    with pytest.raises(FeedError):
        await cache.busy(feed_url(server), client, **WINDOW)
    feed.status = 200
    assert await cache.busy(feed_url(server), client, **WINDOW)
    assert len(feed.requests) == 2


async def test_an_html_login_page_is_an_invalid_feed(feed_server, client) -> None:
    feed, server = feed_server
    feed.body = b"<!doctype html><html><body><form>Sign in</form></body></html>"
    with pytest.raises(FeedError) as caught:
        await FeedCache(clock=FakeClock()).busy(feed_url(server), client, **WINDOW)
    assert caught.value.reason == "invalid"
    assert_safe(caught.value, feed_url(server))


async def test_an_oversized_feed_is_refused(feed_server, client) -> None:
    _, server = feed_server
    with pytest.raises(FeedError) as caught:
        await FeedCache(clock=FakeClock(), max_bytes=1024).busy(feed_url(server), client, **WINDOW)
    assert caught.value.reason == "too_large"


async def test_a_server_that_never_answers_times_out(feed_server, client) -> None:
    feed, server = feed_server
    feed.stalling = True
    with pytest.raises(FeedError) as caught:
        await FeedCache(clock=FakeClock(), timeout=0.2).busy(feed_url(server), client, **WINDOW)
    assert (caught.value.reason, caught.value.retryable) == ("timeout", True)
    assert_safe(caught.value, feed_url(server))


async def test_an_unreachable_host_is_a_safe_error(client) -> None:
    feed = FeedServer(b"")
    server = await _serve(feed)
    url = feed_url(server)
    await server.close()  # nothing listens on that port any more
    with pytest.raises(FeedError) as caught:
        await FeedCache(clock=FakeClock()).busy(url, client, **WINDOW)
    assert (caught.value.reason, caught.value.retryable) == ("unreachable", True)
    assert_safe(caught.value, url)


# -- webcal:// over real TLS ------------------------------------------------------------------------------


def _self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)  # certificate validity is checked against the real clock by TLS itself
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


async def test_webcal_urls_are_fetched_over_https(tmp_path: Path) -> None:
    cert_pem, key_pem = _self_signed()
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client_tls = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    feed = FeedServer((DATA / "outlook_windows_zone.ics").read_bytes())
    server = await _serve(feed, ssl=server_tls)
    try:
        async with httpx.AsyncClient(verify=client_tls) as tls_client:
            busy = await FeedCache(clock=FakeClock()).busy(f"webcal://127.0.0.1:{server.port}{SECRET_PATH}",
                                                           tls_client, **WINDOW)
        assert [b.label for b in busy] == ["Busy", "Tentative", "Away"] and len(feed.requests) == 1
    finally:
        await server.close()



# -- skipping far-away history before parsing -------------------------------------------------------------


@pytest.fixture(scope="module")
def feeds_with_history() -> list[tuple[bytes, str, icalendar.Calendar]]:
    """A generated 500-event feed (see benchmarks/slots.py) and the Google fixture, each fully parsed."""
    from benchmarks.slots import PEOPLE, make_feed

    feeds = [(make_feed(PEOPLE[3], 3), PEOPLE[3].zone)]
    feeds.append(((DATA / "google_recurring.ics").read_bytes(), "Europe/Berlin"))
    return [(feed, zone, read_calendar(feed)) for feed, zone in feeds]


@pytest.mark.parametrize(("start", "days"), [
    (datetime(2026, 3, 23, tzinfo=UTC), 12), (datetime(2026, 3, 29, 22, tzinfo=UTC), 1),
    (datetime(2025, 11, 3, tzinfo=UTC), 14),
])
def test_skipping_history_changes_nothing(feeds_with_history, start: datetime, days: int) -> None:
    end = start + timedelta(days=days)
    for feed, zone, whole in feeds_with_history:
        expected = busy_in_calendar(whole, start=start, end=end, tz=zone)
        assert parse_busy(feed, start=start, end=end, tz=zone) == expected


def test_only_readable_far_away_one_offs_are_skipped() -> None:
    ics = calendar(
        "DTSTART:20250101T100000Z\r\nDTEND:20250101T110000Z\r\nSUMMARY:Old",
        "DTSTART:20270101T100000Z\r\nDTEND:20270101T110000Z\r\nSUMMARY:Far future",
        'DTSTART;TZID="(UTC+01:00) Amsterdam":20250101T100000\r\n'
        'DTEND;TZID="(UTC+01:00) Amsterdam":20250101T110000\r\nSUMMARY:Old, quoted zone',
        "DTSTART:2025010\r\n 1T100000Z\r\nDTEND:20250101T110000Z\r\nSUMMARY:Old, folded start",
        "DTSTART:20250101T100000Z\r\nDURATION:P800D\r\nSUMMARY:Long",
        "DTSTART:20250101T100000Z\r\nDTEND:20250101T110000Z\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Yearly",
        "DTSTART:20260324T100000Z\r\nDTEND:2026\r\n 0324T110000Z\r\nSUMMARY:Folded",
        "DTSTART;VALUE=DATE:20260321\r\nSUMMARY:Near all-day",
    )
    near = events_near(ics, start=datetime(2026, 3, 23, tzinfo=UTC), end=datetime(2026, 3, 30, tzinfo=UTC))
    kept = {str(event["SUMMARY"]) for event in read_calendar(near).walk("VEVENT")}
    # The quoted zone's colons do not hide its date; a folded or long event is kept to be safe.
    assert kept == {"Old, folded start", "Long", "Yearly", "Folded", "Near all-day"}
