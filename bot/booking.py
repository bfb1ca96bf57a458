"""The candidate's booking pages: `/book/{token}` on hirebot's one aiohttp server.

A candidate has no account and may be on any device, so the pages are plain server-rendered HTML forms
(radio buttons per offered time, grouped by day; POST, then redirect to a GET) that work without JavaScript;
a small script only re-renders the times in the browser's own time zone. Every value is HTML-escaped on
its way into a template. The link is the credential, so pages send no referrer, are never cached, allow only
our own assets, and each form carries a signed field bound to the link (CSRF). Nothing here decides
anything: `MeetingService` books, declines, moves and cancels.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import html
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Template
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from aiohttp import web

from adapters.errors import HirebotError
from scheduler.emails import clock as clock_label
from scheduler.emails import day_label, zone_label
from scheduler.log_redaction import redact_booking_links
from scheduler.meetings import (
    IllegalTransition,
    MeetingNotFound,
    MeetingService,
    MeetingView,
    SchedulingError,
    SlotUnavailable,
    organizer_label,
    people_shown,
    where,
)
from scheduler.tokens import TokenClaims, TokenExpired, TokenInvalid, read_token
from store.models import utcnow
from store.settings import company_name

log = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).parent / "booking_assets"
ASSET_PREFIX = "/booking-assets"
STATIC_TYPES = {"booking.css": "text/css", "booking.js": "text/javascript"}
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
TEXT_LIMIT = 1000
# Offered in the zone switcher besides the meeting's own zones; the script adds the browser's if missing.
COMMON_ZONES = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago",
    "America/New_York", "America/Halifax", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
    "America/Mexico_City", "America/Bogota", "America/Toronto", "America/Vancouver", "UTC", "Europe/London",
    "Europe/Dublin", "Europe/Lisbon", "Europe/Madrid", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
    "Europe/Stockholm", "Europe/Warsaw", "Europe/Rome", "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul",
    "Europe/Kyiv", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg", "Asia/Dubai",
    "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore",
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Manila", "Asia/Seoul", "Asia/Tokyo", "Australia/Perth",
    "Australia/Brisbane", "Australia/Sydney", "Pacific/Auckland",
)


# -- a tiny renderer: string.Template, with every value escaped unless it is already HTML ------------------


class Markup(str):
    """HTML we built ourselves: inserted as is."""


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def join(parts: Iterable[Markup], separator: str = "\n") -> Markup:
    return Markup(separator.join(escape(part) for part in parts))


class Templates:
    """The page templates in booking_assets/templates, read once."""

    def __init__(self, directory: Path = ASSETS_DIR / "templates") -> None:
        self._templates = {path.stem: Template(path.read_text(encoding="utf-8"))
                           for path in sorted(directory.glob("*.html"))}

    def render(self, name: str, **values: object) -> Markup:
        return Markup(self._templates[name].substitute({key: escape(value) for key, value in values.items()}))


# -- what a page says --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    kind: str  # ok, error, warn
    lines: tuple[str, ...]

    def html(self) -> Markup:
        role = "alert" if self.kind == "error" else "status"
        body = join(Markup(f"<p>{escape(line)}</p>") for line in self.lines)
        return Markup(f'<div class="notice {escape(self.kind)}" role="{role}">{body}</div>')


class PageExit(Exception):
    """Stop handling and answer with this response (a friendly error page or a redirect)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def booking_routes(service: MeetingService, *, token_key: bytes,
                   clock: Callable[[], datetime] = utcnow) -> list[web.RouteDef]:
    """The booking pages' routes, for `bot.web.create_web_app(extra_routes=...)`."""
    return BookingPages(service, token_key=token_key, clock=clock).routes()


class BookingPages:
    """Request handlers: read the link, ask the service, draw the page for the meeting's state."""

    def __init__(self, service: MeetingService, *, token_key: bytes,
                 clock: Callable[[], datetime] = utcnow, templates: Templates | None = None) -> None:
        self.service = service
        self.clock = clock
        self.templates = templates or Templates()
        self._csrf_key = hmac.new(token_key, b"hirebot/booking-forms", hashlib.sha256).digest()
        self._token_key = token_key

    def routes(self) -> list[web.RouteDef]:
        guard = self._guarded
        return [
            web.get(f"{ASSET_PREFIX}/{{name}}", guard(self.asset)),
            web.get("/book/{token}", guard(self.show)),
            web.post("/book/{token}/select", guard(self.select)),
            web.post("/book/{token}/decline", guard(self.decline)),
            web.post("/book/{token}/other-times", guard(self.other_times)),
            web.get("/book/{token}/manage", guard(self.manage)),
            web.post("/book/{token}/manage", guard(self.manage_change)),
        ]

    # -- handlers -------------------------------------------------------------------------------------------

    async def show(self, request: web.Request) -> web.Response:
        token, view = await self._meeting(request)
        zone = self._zone(request.query.get("tz"), view)
        return self._state_page(view, token, zone, done=request.query.get("done"))

    async def manage(self, request: web.Request) -> web.Response:
        token, view = await self._meeting(request)
        zone = self._zone(request.query.get("tz"), view)
        if view.state == "booked" and request.query.get("confirm") == "cancel":
            return self._confirm_cancel_page(view, token, zone)
        if view.state == "booked":
            return self._manage_page(view, token, zone)
        return self._state_page(view, token, zone, done=request.query.get("done"))

    async def select(self, request: web.Request) -> web.Response:
        token, view, form, zone = await self._form(request)
        start = _parse_start(form.get("start", ""))
        if start is None:
            notice = Notice("error", ("Please choose one of the times first.",))
            return self._slots_page(view, token, zone, notice=notice, status=400)
        try:
            await self.service.select_time(view.id, start, actor="candidate", candidate_timezone=zone)
        except SlotUnavailable as exc:
            fresh = replace(await asyncio.to_thread(self.service.view, view.id), slots=exc.fresh_slots)
            return self._slots_page(fresh, token, zone, notice=_taken_notice(exc), status=409)
        except IllegalTransition:
            return await self._refused(view.id, token, zone)
        return self._redirect(token, zone, done="booked")

    async def decline(self, request: web.Request) -> web.Response:
        token, view, form, zone = await self._form(request)
        try:
            await asyncio.to_thread(self.service.decline, view.id, reason=_text(form.get("reason")),
                                    actor="candidate")
        except IllegalTransition:
            return await self._refused(view.id, token, zone)
        return self._redirect(token, zone, done="declined")

    async def other_times(self, request: web.Request) -> web.Response:
        token, view, form, zone = await self._form(request)
        try:
            await asyncio.to_thread(self.service.request_other_times, view.id, note=_text(form.get("note")),
                                    candidate_timezone=zone)
        except IllegalTransition:
            return await self._refused(view.id, token, zone)
        return self._redirect(token, zone, done="other-times")

    async def manage_change(self, request: web.Request) -> web.Response:
        token, view, form, zone = await self._form(request)
        action = form.get("action")
        try:
            if action == "reschedule":
                await self.service.reschedule(view.id, actor="candidate")
                return self._redirect(token, zone, done="moving", page="manage")
            if action == "cancel":
                await asyncio.to_thread(self.service.cancel, view.id, actor="candidate",
                                        reason=_text(form.get("reason")))
                return self._redirect(token, zone, done="cancelled", page="manage")
        except IllegalTransition:
            return await self._refused(view.id, token, zone)
        except SchedulingError:
            return self._no_times_page(view, zone)
        raise PageExit(self._message(404, "We can't find this page", zone, (
            "Please use the buttons on the page to change or cancel your interview.",)))

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        content_type = STATIC_TYPES.get(name)
        if content_type is None:
            raise PageExit(self._not_found())
        body = (ASSETS_DIR / "static" / name).read_bytes()
        return web.Response(body=body, content_type=content_type, charset="utf-8",
                            headers={**PAGE_HEADERS, "Cache-Control": "public, max-age=3600"})

    # -- reading the request --------------------------------------------------------------------------------

    async def _meeting(self, request: web.Request) -> tuple[str, MeetingView]:
        token = request.match_info["token"]
        return token, await self._view(await self._claims(token))

    async def _view(self, claims: TokenClaims) -> MeetingView:
        try:
            return await asyncio.to_thread(self.service.view, claims.meeting_id)
        except MeetingNotFound:
            raise PageExit(self._not_found()) from None

    async def _claims(self, token: str) -> TokenClaims:
        try:
            return read_token(token, key=self._token_key, now=self.clock())
        except TokenExpired as exc:
            raise PageExit(await self._expired(exc.claims)) from None
        except TokenInvalid:
            raise PageExit(self._not_found()) from None

    async def _form(self, request: web.Request) -> tuple[str, MeetingView, dict[str, str], str]:
        token = request.match_info["token"]
        claims = await self._claims(token)  # an expired or forged link is answered before the form is read
        posted = await request.post()
        form = {key: str(value) for key, value in posted.items() if isinstance(value, str)}
        if not hmac.compare_digest(form.get("csrf", "").encode(), self.csrf(token).encode()):
            raise PageExit(self._message(403, "This form has expired", "UTC", (
                "For your security, forms only work from the page they came from. Please go back, reload "
                "the page and try again.",)))
        view = await self._view(claims)
        return token, view, form, self._zone(form.get("tz"), view)

    def csrf(self, token: str) -> str:
        """The form field that proves a POST came from a page we served for this link."""
        return hmac.new(self._csrf_key, token.encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def _zone(self, asked: str | None, view: MeetingView) -> str:
        if asked and asked in known_zones():
            return asked
        return view.display_timezone

    # -- pages ----------------------------------------------------------------------------------------------

    def _state_page(self, view: MeetingView, token: str, zone: str, *,
                    done: str | None = None) -> web.Response:
        if view.is_open:
            return self._slots_page(view, token, zone, notice=_open_notice(view, done))
        if view.state in ("booked", "time_selected"):
            return self._booked_page(view, zone, just_booked=done == "booked")
        if view.state == "declined":
            return self._message(200, "Thanks for letting us know", zone, (
                f"You've declined the interview. We've told {_organizer(view)}.",
                "We wish you all the best.",), title="Interview declined")
        if view.state == "cancelled":
            return self._cancelled_page(view, zone, by_you=done == "cancelled")
        return self._message(200, "This interview has already taken place", zone, (
            f"If you have questions, please reply to the email from {_organizer(view)}.",))

    def _slots_page(self, view: MeetingView, token: str, zone: str, *, notice: Notice | None = None,
                    status: int = 200) -> web.Response:
        again = view.round > 0
        heading = "Choose a new time" if again else "Choose a time for your interview"
        first = view.candidate.name.split()[0] if view.candidate.name.strip() else ""
        lede = f"Hi {first}, pick" if first and "@" not in first else "Pick"
        content = self.templates.render(
            "slots", heading=heading, lede=f"{lede} the time that suits you best. It only takes a moment.",
            notice=notice.html() if notice else Markup(""), facts=_facts(self._meeting_rows(view)),
            page_url=_path(token, "manage" if again else None), zone_options=self._zone_options(view, zone),
            zone_label=zone_label(zone), select_url=_path(token, "select"), csrf=self.csrf(token), zone=zone,
            days=self._days(view, zone),
            confirm_label="Confirm this time", alternatives=self.templates.render(
                "alternatives", other_times_url=_path(token, "other-times"),
                decline_url=_path(token, "decline"), csrf=self.csrf(token), zone=zone))
        return self._page(status, heading, content, zone)

    def _booked_page(self, view: MeetingView, zone: str, *, just_booked: bool) -> web.Response:
        notice = Notice("ok", (f"A confirmation with a calendar invitation is on its way to "
                               f"{view.candidate.email}.",)) if just_booked else None
        heading = "You're booked!" if just_booked else "Your interview is booked"
        body = (Markup("<p>Here are the details. See you then!</p>"),)
        actions = self.templates.render("booked_actions", manage_url=_relative(view.manage_url))
        return self._message(200, heading, zone, body, notice=notice,
                             facts=self._booking_rows(view, zone), actions=actions)

    def _manage_page(self, view: MeetingView, token: str, zone: str) -> web.Response:
        content = self.templates.render(
            "manage", heading="Your interview", notice=Markup(""),
            facts=_facts(self._booking_rows(view, zone)),
            manage_url=_path(token, "manage"), csrf=self.csrf(token), zone=zone,
            confirm_cancel_url=_path(token, "manage", confirm="cancel", tz=zone))
        return self._page(200, "Your interview", content, zone)

    def _confirm_cancel_page(self, view: MeetingView, token: str, zone: str) -> web.Response:
        content = self.templates.render(
            "confirm_cancel", facts=_facts(self._booking_rows(view, zone)), manage_url=_path(token, "manage"),
            csrf=self.csrf(token), zone=zone, back_url=_path(token, "manage", tz=zone))
        return self._page(200, "Cancel this interview?", content, zone)

    def _cancelled_page(self, view: MeetingView, zone: str, *, by_you: bool) -> web.Response:
        if by_you:
            lines = ("Your interview is cancelled. We've let the team know, and the calendar entry will be "
                     "removed.",
                     f"If you'd like to meet after all, please reply to {_organizer(view)}'s email.")
            return self._message(200, "Your interview is cancelled", zone, lines, title="Interview cancelled")
        return self._message(200, "This interview was cancelled", zone, (
            f"{_organizer(view)} will be in touch if there are next steps.",), title="Interview cancelled")

    def _no_times_page(self, view: MeetingView, zone: str) -> web.Response:
        return self._message(409, "No other times are open right now", zone, (
            "Your interview is still booked at the time below.",
            f"To move it, please reply to the email from {_organizer(view)} and suggest a few times.",),
            facts=self._booking_rows(view, zone) if view.booked_start else ())

    async def _refused(self, meeting_id: int, token: str, zone: str) -> web.Response:
        """The meeting moved on (booked, declined, cancelled) since the page was drawn: show where it is."""
        view = await asyncio.to_thread(self.service.view, meeting_id)
        page = self._state_page(view, token, zone)
        page.set_status(409)
        return page

    async def _expired(self, claims: TokenClaims) -> web.Response:
        ask = "the person who sent it"
        with contextlib.suppress(HirebotError):  # the link is genuine, only old: naming who to ask is safe
            ask = _organizer(await asyncio.to_thread(self.service.view, claims.meeting_id))
        return self._message(410, "This link has expired", "UTC", (
            "Booking links stop working once the times they offered have passed.",
            f"Please reply to the email you received and ask {ask} for a new link.",), title="Link expired")

    def _not_found(self) -> web.Response:
        return self._message(404, "We can't find this page", "UTC", (
            "The link may be incomplete. Please open it again from your email, making sure you use the whole "
            "link.",), title="Page not found")

    def _message(self, status: int, heading: str, zone: str, lines: Sequence[str | Markup], *,
                 notice: Notice | None = None, facts: Sequence[tuple[str, Markup | str]] = (),
                 actions: Markup = Markup(""), title: str | None = None) -> web.Response:
        body = join(line if isinstance(line, Markup) else Markup(f"<p>{escape(line)}</p>") for line in lines)
        content = self.templates.render(
            "message", heading=heading, notice=notice.html() if notice else Markup(""), body=body,
            facts=Markup(f'<dl class="facts">{_facts(facts)}</dl>') if facts else Markup(""), actions=actions)
        return self._page(status, title or heading, content, zone)

    def _page(self, status: int, title: str, content: Markup, zone: str) -> web.Response:
        body = self.templates.render(
            "layout", title=f"{title} \u00b7 {company_name() or 'hirebot'}", css_url=f"{ASSET_PREFIX}/booking.css",
            js_url=f"{ASSET_PREFIX}/booking.js", zone=zone, content=content,
            footer="This page is private to you: please don't share its link.")
        return web.Response(status=status, text=body, content_type="text/html", charset="utf-8",
                            headers=PAGE_HEADERS)

    def _redirect(self, token: str, zone: str, *, done: str, page: str | None = None) -> web.Response:
        return web.Response(status=303, headers={**PAGE_HEADERS, "Location": _path(token, page, tz=zone,
                                                                                    done=done)})

    # -- page parts -----------------------------------------------------------------------------------------

    def _days(self, view: MeetingView, zone: str) -> Markup:
        duration = timedelta(minutes=view.duration_minutes)
        days: dict[str, list[Markup]] = {}
        labels: dict[str, str] = {}
        for index, start in enumerate(sorted(view.slots)):
            key = start.astimezone(ZoneInfo(zone)).date().isoformat()
            labels[key] = day_label(start, zone)
            days.setdefault(key, []).append(self.templates.render(
                "slot", index=index, start=_iso(start), end=_iso(start + duration),
                label=f"{clock_label(start, zone)} \u2013 {clock_label(start + duration, zone)}"))
        if not days:
            return Markup('<p class="field-error">No times are open right now. Please ask for other times '
                          "below.</p>")
        return join(self.templates.render("day", index=number, label=labels[key], slots=join(slots))
                    for number, (key, slots) in enumerate(days.items()))

    def _zone_options(self, view: MeetingView, zone: str) -> Markup:
        moment = min(view.slots) if view.slots else self.clock()
        zones = {*COMMON_ZONES, zone, view.display_timezone, view.timezone} & known_zones()
        ordered = sorted(zones, key=lambda name: (_offset(name, moment), name))
        return join(Markup(f'<option value="{escape(name)}"{" selected" if name == zone else ""}>'
                           f"{escape(_option_label(name, moment))}</option>") for name in ordered)

    def _meeting_rows(self, view: MeetingView) -> list[tuple[str, Markup | str]]:
        rows: list[tuple[str, Markup | str]] = [("Length", f"{view.duration_minutes} minutes")]
        company = company_name()
        if company:
            rows.append(("Company", company))
        names = people_shown(view)
        if names:
            rows.append(("With", ", ".join(names)))
        if view.job_name:
            rows.append(("Role", view.job_name))
        rows.append(("Where", _location(view.location) if view.location else where(view)))
        return rows

    def _booking_rows(self, view: MeetingView, zone: str) -> list[tuple[str, Markup | str]]:
        rows: list[tuple[str, Markup | str]] = []
        if view.booked_start is not None:
            end = view.booked_end or view.booked_start + timedelta(minutes=view.duration_minutes)
            when = (f"{day_label(view.booked_start, zone)}, {clock_label(view.booked_start, zone)} \u2013 "
                    f"{clock_label(end, zone)}")
            rows.append(("When", Markup(f'<span data-start="{escape(_iso(view.booked_start))}" '
                                        f'data-end="{escape(_iso(end))}">{escape(when)}</span>')))
            rows.append(("Time zone", Markup(f"<span data-zone-name>{escape(zone_label(zone))}</span>")))
        return [*rows, *self._meeting_rows(view)]

    # -- safety net -----------------------------------------------------------------------------------------

    def _guarded(self, handler: Handler) -> Handler:
        """Every answer is a page a candidate can read: never a stack trace, always the security headers."""
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except PageExit as exit_:
                return exit_.response
            except web.HTTPException:
                raise
            except HirebotError as exc:
                log.warning("Booking page %s refused: %s", redact_booking_links(request.path), type(exc).__name__)
                return self._message(409, "We couldn't do that just now", "UTC", (
                    str(exc), "Please reload the page and try again."))
            except Exception:
                log.exception("Booking page %s failed", redact_booking_links(request.path))
                return self._message(500, "Something went wrong on our side", "UTC", (
                    "Sorry about that. Please try again in a few minutes.",))
        return guarded


# -- small pieces ------------------------------------------------------------------------------------------


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


def _offset(zone: str, moment: datetime) -> timedelta:
    return moment.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)


def _offset_label(zone: str, moment: datetime) -> str:
    total = int(_offset(zone, moment).total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _option_label(zone: str, moment: datetime) -> str:
    return "UTC" if zone == "UTC" else f"{zone_label(zone)} (UTC{_offset_label(zone, moment)})"


def _facts(rows: Sequence[tuple[str, Markup | str]]) -> Markup:
    return join(Markup(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>") for label, value in rows)


def _location(location: str) -> Markup:
    text = location.strip()
    if text.startswith(("https://", "http://")) and " " not in text:
        return Markup(f'<a href="{escape(text)}" rel="noreferrer noopener">{escape(text)}</a>')
    return escape(text)


def _open_notice(view: MeetingView, done: str | None) -> Notice | None:
    if done == "other-times":
        return Notice("ok", (f"Thanks! We've asked {_organizer(view)} to find other times, and they'll be in "
                             "touch.", "If one of these times works after all, you can still pick it."))
    if done == "moving":
        return Notice("ok", ("Your previous time has been released. Choose a new one below.",))
    return None


def _taken_notice(exc: SlotUnavailable) -> Notice:
    if exc.fresh_slots:
        return Notice("error", ("Sorry, that time was just taken.",
                                "Here are the times that are still open."))
    return Notice("error", ("Sorry, that time was just taken, and no other time is open right now.",
                            "Please ask for other times below."))


def _organizer(view: MeetingView) -> str:
    return organizer_label(view, company_name())


def _path(token: str, page: str | None = None, **query: str) -> str:
    path = f"/book/{token}" + (f"/{page}" if page else "")
    return f"{path}?{urlencode(query)}" if query else path


def _relative(url: str) -> str:
    """Our own absolute link as a path, so it follows whichever host the candidate reached us on."""
    marker = url.find("/book/")
    return url[marker:] if marker >= 0 else url


def _parse_start(raw: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _text(raw: str | None) -> str | None:
    cleaned = " ".join((raw or "").split())[:TEXT_LIMIT]
    return cleaned or None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
