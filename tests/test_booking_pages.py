"""The booking pages in a real browser: Debian's headless chromium, driven by Playwright, against the real
aiohttp server on loopback, the real MeetingService and a real SQLite store.

Every page visited is screenshotted under the test's tmp dir (`screenshots/`), numbered in visiting order.
Tests skip, with the reason printed, when chromium or Playwright is not installed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine

from bot.booking import booking_routes
from scheduler.mail import Mailer
from scheduler.meetings import MeetingView
from tests.browser import DESKTOP_VIEWPORT, PHONE_VIEWPORT, Screenshots, browser_unavailable, launch_chromium
from tests.ports import free_port
from tests.rigs.scheduling_world import TOKEN_KEY, SchedulingWorld

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Response

UNAVAILABLE = browser_unavailable()
pytestmark = [
    pytest.mark.skipif(UNAVAILABLE is not None, reason=f"browser tests skipped: {UNAVAILABLE}"),
    pytest.mark.asyncio(loop_scope="module"),
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launch_chromium() as launched:
        yield launched


@dataclass
class Site:
    """The booking pages served for one world, and a browser context to visit them with."""

    world: SchedulingWorld
    server: TestServer
    shots: Screenshots
    browser: Browser
    errors: list[str]

    async def context(self, *, timezone: str = "UTC", javascript: bool = True,
                      phone: bool = False) -> BrowserContext:
        context = await self.browser.new_context(timezone_id=timezone, java_script_enabled=javascript,
                                                 viewport=PHONE_VIEWPORT if phone else DESKTOP_VIEWPORT,
                                                 locale="en-GB", is_mobile=phone, has_touch=phone)
        context.on("console", lambda message: self._console(message))
        return context

    def _console(self, message: Any) -> None:
        if message.type == "error":  # a CSP violation or a script error would show up here
            self.errors.append(message.text)

    async def open(self, page: Page, url: str, shot: str, *, status: int = 200) -> Response:
        response = await page.goto(url)
        assert response is not None
        assert response.status == status, await page.content()
        await self.shots.take(page, shot)
        return response

    def meeting(self, view: MeetingView) -> MeetingView:
        return self.world.service.view(view.id)


@asynccontextmanager
async def serving(engine: Engine, tmp_path: Path, browser: Browser, **world: Any) -> AsyncIterator[Site]:
    """The booking routes on the real aiohttp server, on a loopback port the meeting links point at."""
    port = free_port()
    built = SchedulingWorld.build(engine, mailer=Mailer(outbox=tmp_path / "outbox"),
                                  public_url=f"http://127.0.0.1:{port}", **world)
    app = web.Application()
    app.add_routes(booking_routes(built.service, token_key=TOKEN_KEY, clock=built.clock))
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield Site(built, server, Screenshots(tmp_path / "screenshots"), browser, errors=[])
    finally:
        await server.close()


@pytest_asyncio.fixture(loop_scope="module")
async def site(sqlite_engine: Engine, tmp_path: Path, browser: Browser) -> AsyncIterator[Site]:
    async with serving(sqlite_engine, tmp_path, browser) as served:
        yield served


async def schedule(page: Page) -> list[tuple[str, list[str]]]:
    """The offered times as drawn: (day, [times]) per group."""
    groups: list[list[Any]] = await page.locator("fieldset.day").evaluate_all(
        "(days) => days.map(d => [d.querySelector('legend').textContent.trim(),"
        " [...d.querySelectorAll('.slot-time')].map(s => s.textContent.trim())])")
    return [(day, times) for day, times in groups]


async def slot_labels(page: Page) -> list[str]:
    return [text.strip() for text in await page.locator(".slot-time").all_inner_texts()]


async def day_labels(page: Page) -> list[str]:
    return [text.strip() for text in await page.locator("fieldset.day legend").all_inner_texts()]


def kinds(view: MeetingView) -> list[str]:
    return [event.kind for event in view.events]


# -- booking -----------------------------------------------------------------------------------------------


async def test_pick_a_slot_and_confirm_on_a_phone(site: Site) -> None:
    view = await site.world.request()
    context = await site.context(timezone="Europe/Berlin", phone=True)
    page = await context.new_page()

    response = await site.open(page, view.booking_url, "slots on a phone, Berlin")
    headers = response.headers
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    await page.wait_for_selector("body[data-tz='Europe/Berlin']")  # the script switched to the browser's zone
    assert (await slot_labels(page))[0] == "10:00 – 10:30"  # 09:00 UTC shown in Berlin
    assert (await day_labels(page))[0] == "Tuesday 3 March"
    assert await page.locator("[data-zone-name]").first.inner_text() == "Europe/Berlin"

    await page.get_by_label("11:45 – 12:15").check()
    await page.get_by_role("button", name="Confirm this time").click()
    await page.wait_for_url(re.compile(r"done=booked"))
    await site.shots.take(page, "booked on a phone")

    assert await page.get_by_role("heading", level=1).inner_text() == "You're booked!"
    assert "Friday 6 March, 11:45 – 12:15" in await page.locator("dl.facts").inner_text()
    booked = site.meeting(view)
    assert booked.state == "booked"
    assert booked.booked_start == view.slots[6]
    assert booked.candidate_timezone == "Europe/Berlin"
    assert kinds(booked)[-2:] == ["time_selected", "booked"]
    assert site.errors == []
    await context.close()


async def test_a_page_without_javascript_still_books(site: Site) -> None:
    view = await site.world.request()
    context = await site.context(javascript=False, timezone="Asia/Tokyo")
    page = await context.new_page()
    await site.open(page, view.booking_url, "no javascript, organizer zone")
    assert (await slot_labels(page))[0] == "09:00 – 09:30"  # without the script: the organizer's zone (UTC)

    await page.get_by_label("Your time zone").select_option("Asia/Tokyo")
    await page.get_by_role("button", name="Show times").click()  # the switcher is a plain GET form
    await page.wait_for_url(re.compile(r"tz=Asia%2FTokyo"))
    await site.shots.take(page, "no javascript, Tokyo")
    assert (await slot_labels(page))[0] == "18:00 – 18:30"

    # 16:30 UTC on Tuesday is 01:30 on Wednesday in Tokyo; each day is a labelled group of choices.
    await page.get_by_role("group", name="Wednesday 4 March").get_by_label("01:30 – 02:00").check()
    await page.get_by_role("button", name="Confirm this time").click()
    await page.wait_for_url(re.compile(r"done=booked"))
    await site.shots.take(page, "no javascript, booked")
    assert "Wednesday 4 March, 01:30 – 02:00" in await page.locator("dl.facts").inner_text()
    booked = site.meeting(view)
    assert (booked.state, booked.booked_start, booked.candidate_timezone) == (
        "booked", view.slots[1], "Asia/Tokyo")
    await context.close()


async def test_keyboard_only_booking(site: Site) -> None:
    view = await site.world.request()
    context = await site.context(timezone="UTC")
    page = await context.new_page()
    await site.open(page, view.booking_url, "keyboard, before")

    async def focused() -> dict[str, str]:
        info: dict[str, str] = await page.evaluate(
            "() => ({tag: document.activeElement.tagName, type: document.activeElement.type || '',"
            " name: document.activeElement.name || '', text: document.activeElement.textContent || ''})")
        return info

    for _ in range(40):
        await page.keyboard.press("Tab")
        if (await focused())["name"] == "start":
            break
    else:
        pytest.fail("Tab never reached the time choices")
    await page.keyboard.press("Space")
    await page.keyboard.press("ArrowDown")  # arrows move the choice within the group, as in any radio group
    outline = await page.evaluate(
        "() => getComputedStyle(document.activeElement.closest('label')).outlineStyle")
    assert outline == "solid"  # the focused choice is visibly marked
    await site.shots.take(page, "keyboard, second time chosen")
    for _ in range(10):
        await page.keyboard.press("Tab")
        if "Confirm this time" in (await focused())["text"]:
            break
    else:
        pytest.fail("Tab never reached the confirm button")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"done=booked"))
    await site.shots.take(page, "keyboard, booked")

    assert site.meeting(view).booked_start == view.slots[1]
    await context.close()


async def test_a_slot_taken_meanwhile_is_refused_with_the_fresh_list(site: Site) -> None:
    view = await site.world.request()
    context = await site.context(timezone="UTC")
    page = await context.new_page()
    await site.open(page, view.booking_url, "slots before the clash")

    # Someone else books Ana's first free time while Jane is still looking at the page.
    sam = site.world.add_candidate("Sam", "Lee", "sam.lee@example.com")
    other = await site.world.request(candidate_id=sam)
    await site.world.service.select_time(other.id, view.slots[0])

    await page.get_by_label("09:00 – 09:30").first.check()
    await page.get_by_role("button", name="Confirm this time").click()
    await page.wait_for_load_state()
    await site.shots.take(page, "slot taken, fresh list")
    assert "Sorry, that time was just taken." in await page.get_by_role("alert").inner_text()
    fresh = await page.locator("input[name=start]").evaluate_all("(inputs) => inputs.map(i => i.value)")
    assert view.slots[0].isoformat() not in fresh
    assert fresh and site.meeting(view).state == "requested"

    await page.locator("input[name=start]").first.check()
    await page.get_by_role("button", name="Confirm this time").click()
    await page.wait_for_url(re.compile(r"done=booked"))
    assert site.meeting(view).booked_start is not None
    assert site.meeting(view).booked_start.isoformat() == fresh[0]  # type: ignore[union-attr]
    await context.close()


async def test_submitting_the_same_choice_twice_books_once(site: Site) -> None:
    view = await site.world.request()
    context = await site.context()
    page = await context.new_page()
    await site.open(page, view.booking_url, "double submit, before")
    csrf = await page.locator("input[name=csrf]").first.input_value()
    form: dict[str, str | float | bool] = {"csrf": csrf, "tz": "UTC", "start": view.slots[2].isoformat()}
    select_url = view.booking_url + "/select"

    first = await page.request.post(select_url, form=form, max_redirects=0)
    second = await page.request.post(select_url, form=form, max_redirects=0)
    assert (first.status, second.status) == (303, 303)
    await site.open(page, view.booking_url, "double submit, after")
    assert await page.get_by_role("heading", level=1).inner_text() == "Your interview is booked"

    booked = site.meeting(view)
    assert kinds(booked).count("booked") == 1 and kinds(booked).count("time_selected") == 1
    for forged_csrf in ("0" * 64, "é" * 64, ""):
        forged = await page.request.post(select_url, form={**form, "csrf": forged_csrf}, max_redirects=0)
        assert forged.status == 403
    await context.close()


# -- the other answers -------------------------------------------------------------------------------------


async def test_decline_with_a_reason(site: Site) -> None:
    view = await site.world.request()
    context = await site.context()
    page = await context.new_page()
    await site.open(page, view.booking_url, "before declining")

    await page.get_by_text("I'd like to decline this interview").click()
    reason = page.get_by_label("Would you like to tell us why?")
    await reason.fill("I've accepted another offer <b>elsewhere</b>.")
    await site.shots.take(page, "decline form open")
    await page.get_by_role("button", name="Decline the interview").click()
    await page.wait_for_url(re.compile(r"done=declined"))
    await site.shots.take(page, "declined")

    assert await page.get_by_role("heading", level=1).inner_text() == "Thanks for letting us know"
    declined = site.meeting(view)
    assert declined.state == "declined"
    assert declined.decline_reason == "I've accepted another offer <b>elsewhere</b>."
    assert kinds(declined)[-1] == "declined" and declined.events[-1].actor == "candidate"

    await site.open(page, view.booking_url, "declined, visited again")  # the link now shows the outcome
    assert await page.get_by_role("heading", level=1).inner_text() == "Thanks for letting us know"
    await context.close()


async def test_ask_for_other_times_with_a_note(site: Site) -> None:
    view = await site.world.request()
    context = await site.context()
    page = await context.new_page()
    await site.open(page, view.booking_url, "before asking for other times")

    await page.get_by_text("None of these times work for me").click()
    await page.get_by_label("When would suit you?").fill("Any weekday after 15:00 next week")
    await page.get_by_role("button", name="Ask for other times").click()
    await page.wait_for_url(re.compile(r"done=other-times"))
    await site.shots.take(page, "asked for other times")

    assert "We've asked Ana Ruiz to find other times" in await page.get_by_role("status").inner_text()
    notices = [job for job in site.meeting(view).jobs if ":other_times:" in job.idempotency_key]
    assert len(notices) == 1  # the organizer will be told in chat
    await context.close()


async def test_manage_page_moves_then_cancels_with_confirmation(site: Site) -> None:
    view = await site.world.booked()
    context = await site.context(timezone="Europe/Berlin")
    page = await context.new_page()
    await site.open(page, site.meeting(view).manage_url, "manage page")
    assert await page.get_by_role("heading", level=1).inner_text() == "Your interview"
    assert "Tuesday 3 March, 10:00 – 10:30" in await page.locator("dl.facts").inner_text()

    await page.get_by_role("button", name="Pick a new time").click()
    await page.wait_for_url(re.compile(r"done=moving"))
    await site.shots.take(page, "new times offered")
    assert site.meeting(view).state == "rescheduling"
    assert await page.get_by_role("heading", level=1).inner_text() == "Choose a new time"
    await page.locator("input[name=start]").nth(1).check()
    await page.get_by_role("button", name="Confirm this time").click()
    await page.wait_for_url(re.compile(r"done=booked"))
    moved = site.meeting(view)
    assert moved.state == "booked" and moved.booked_start != view.booked_start
    assert kinds(moved)[-3:] == ["rescheduled", "time_selected", "booked"]

    await site.open(page, moved.manage_url, "manage page after the move")
    await page.get_by_role("link", name="Cancel the interview").click()
    await page.wait_for_url(re.compile(r"confirm=cancel"))
    await site.shots.take(page, "confirm cancel")
    assert site.meeting(view).state == "booked"  # asking is not cancelling
    await page.get_by_label("Would you like to tell the team why?").fill("Something came up")
    await page.get_by_role("button", name="Yes, cancel the interview").click()
    await page.wait_for_url(re.compile(r"done=cancelled"))
    await site.shots.take(page, "cancelled")
    assert await page.get_by_role("heading", level=1).inner_text() == "Your interview is cancelled"
    cancelled = site.meeting(view)
    assert cancelled.state == "cancelled" and cancelled.events[-1].actor == "candidate"
    assert cancelled.events[-1].data["reason"] == "Something came up"
    await context.close()


# -- time zones --------------------------------------------------------------------------------------------


async def test_switching_the_time_zone_changes_the_times_shown(site: Site) -> None:
    view = await site.world.request()
    context = await site.context(timezone="UTC")
    page = await context.new_page()
    await site.open(page, view.booking_url, "zone UTC")
    assert (await schedule(page))[0] == ("Tuesday 3 March", ["09:00 – 09:30", "16:30 – 17:00"])

    await page.get_by_label("Your time zone").select_option("America/Los_Angeles")
    await site.shots.take(page, "zone Los Angeles")
    assert (await schedule(page))[0] == ("Tuesday 3 March", ["01:00 – 01:30", "08:30 – 09:00"])
    assert await page.locator("[data-zone-name]").first.inner_text() == "America/Los Angeles"
    assert urlsplit(page.url).query == "tz=America%2FLos_Angeles"  # a reload keeps the choice
    assert await page.locator("form[action$='/select'] input[name=tz]").input_value() == "America/Los_Angeles"

    # Days regroup: 16:30 UTC on Tuesday is early Wednesday morning in Auckland.
    await page.get_by_label("Your time zone").select_option("Pacific/Auckland")
    drawn_by_script = await schedule(page)
    assert drawn_by_script[:2] == [("Tuesday 3 March", ["22:00 – 22:30"]),
                                   ("Wednesday 4 March", ["05:30 – 06:00", "22:00 – 22:30"])]
    await page.reload()
    assert await schedule(page) == drawn_by_script  # the server draws exactly what the script drew
    assert site.errors == []
    await context.close()


# -- links that don't work ---------------------------------------------------------------------------------


async def test_expired_and_unknown_links_get_friendly_pages(site: Site) -> None:
    view = await site.world.request()
    context = await site.context()
    page = await context.new_page()

    site.world.clock.now = view.window_end + timedelta(days=2)
    await site.open(page, view.booking_url, "expired link", status=410)
    assert await page.get_by_role("heading", level=1).inner_text() == "This link has expired"
    assert "ask Ana Ruiz for a new link" in await page.locator("main").inner_text()

    tampered = view.booking_url[:-3] + ("AAA" if not view.booking_url.endswith("AAA") else "BBB")
    unknown = f"{site.world.public_url}/book/nonsense"
    for url, shot in ((tampered, "tampered link"), (unknown, "unknown link")):
        response = await site.open(page, url, shot, status=404)
        assert await page.get_by_role("heading", level=1).inner_text() == "We can't find this page"
        assert response.headers["cache-control"] == "no-store"
        assert "Traceback" not in await page.content()
    await context.close()


async def test_what_people_typed_is_shown_as_text(sqlite_engine: Engine, tmp_path: Path,
                                                   browser: Browser) -> None:
    hostile = ("<img src=x onerror=alert(1)>", "O'Brien & \"Co\"")
    async with serving(sqlite_engine, tmp_path, browser, candidate_name=hostile) as site:
        view = await site.world.request(location='Room "B" <script>alert(2)</script>',
                                        title="Interview </title><script>alert(3)</script>")
        context = await site.context()
        page = await context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        await site.open(page, view.booking_url, "hostile text")

        assert await page.locator("main img, main script").count() == 0
        assert "Hi <img" in await page.locator(".lede").inner_text()
        assert "<script>alert(2)</script>" in await page.locator("dl.facts").inner_text()
        assert dialogs == [] and site.errors == []
        await context.close()


async def test_a_browser_in_los_angeles_is_not_offered_times_in_its_night(site: Site) -> None:
    view = await site.world.request()  # 09:00-17:00 UTC: 01:00-09:00 in Los Angeles
    context = await site.context(timezone="America/Los_Angeles")
    page = await context.new_page()
    await site.open(page, view.booking_url, "zone reported by a Los Angeles browser")
    shown = [time for _day, times in await schedule(page) for time in times]
    assert shown and all(time[:5] >= "07:00" and time[-5:] <= "21:00" for time in shown)
    assert len(shown) < len(view.slots)
    assert site.errors == []
    await context.close()
