"""The words of every scheduling email, so the candidate hears one consistent, friendly voice.

`build_email(kind, view, public_url=…, to=…)` turns a job kind and the meeting as it is now into a ready
`EmailMessage`: plain text and HTML built from the same blocks (so they never disagree), every value escaped
in the HTML, an iCalendar part on confirmations, updates and cancellations, and a Message-ID derived from a
key, so a retried job produces the very same message.
"""

from __future__ import annotations

import html
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from scheduler.invites import calendar_slot, invitation
from scheduler.jobs import JobKind, message_id_for
from scheduler.meetings import MeetingView, people_shown, public_name, where
from store.models import utcnow
from store.settings import company_name

DEFAULT_SENDER = "hirebot <hirebot@localhost>"
SENDER_VARIABLE = "HIREBOT_MAIL_FROM"
KINDS = (JobKind.REQUEST_EMAIL, JobKind.FOLLOWUP_EMAIL, JobKind.DAYOF_REMINDER, JobKind.INVITE_EMAIL,
         JobKind.UPDATE_EMAIL, JobKind.CANCEL_EMAIL)
_CANDIDATE_ONLY = {JobKind.REQUEST_EMAIL, JobKind.FOLLOWUP_EMAIL, JobKind.DAYOF_REMINDER}


# -- blocks: one description of a message, drawn as text and as HTML -----------------------------------------


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Action:
    """A call to action: a button in HTML, the bare link in text."""

    label: str
    url: str


@dataclass(frozen=True)
class Facts:
    rows: tuple[tuple[str, str], ...]


Block = Para | Action | Facts


@dataclass(frozen=True)
class Content:
    subject: str
    greeting: str
    blocks: tuple[Block, ...]
    signature: str | None = None
    preheader: str = ""


@dataclass(frozen=True)
class Calendar:
    method: str  # REQUEST or CANCEL
    body: bytes


# -- entry point ---------------------------------------------------------------------------------------------


def build_email(kind: str, view: MeetingView, *, public_url: str, to: str, key: str | None = None,
                sender: str | None = None, now: datetime | None = None) -> EmailMessage:
    """The email of job `kind` for recipient `to` (the candidate, or an internal attendee for invitations,
    updates and cancellations). Without `key`, the Message-ID is derived from the meeting, kind, round and
    recipient; job handlers pass (or set) the job's own key."""
    kind = JobKind(kind)
    if kind not in KINDS:
        raise ValueError(f"{kind} is not an email")
    for_candidate = to.strip().lower() == view.candidate.email.lower()
    if kind in _CANDIDATE_ONLY and not for_candidate:
        raise ValueError(f"{kind} goes to the candidate only")
    content = _CONTENT[kind](view, for_candidate)
    calendar = _calendar(kind, view, for_candidate=for_candidate, public_url=public_url)
    message = _assemble(content, calendar)
    message["Subject"] = content.subject
    message["From"] = sender or default_sender()
    message["To"] = _address(to, view.candidate.name if for_candidate else _attendee_name(view, to))
    if view.organizer is not None and view.organizer.email.lower() != to.strip().lower():
        message["Reply-To"] = _address(view.organizer.email, public_name(view.organizer))
    message["Date"] = format_datetime(now or utcnow())
    message["Message-ID"] = message_id_for(key or default_key(kind, view, to), _domain(public_url))
    # Keeps out-of-office replies from answering an automatic message (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    return message


def default_sender() -> str:
    """`HIREBOT_MAIL_FROM`, else a local placeholder address (fine for the .eml outbox and tests)."""
    return (os.environ.get(SENDER_VARIABLE) or "").strip() or DEFAULT_SENDER


def default_key(kind: str, view: MeetingView, to: str) -> str:
    part = {JobKind.FOLLOWUP_EMAIL: f"f{followup_number(view)}",
            JobKind.UPDATE_EMAIL: f"s{view.calendar_sequence}",
            JobKind.CANCEL_EMAIL: f"s{view.calendar_sequence}"}.get(JobKind(kind), "")
    return f"meeting:{view.id}:{kind}:{part}:{to.strip().lower()}:v{view.round}"


def followup_number(view: MeetingView) -> int:
    """Which follow-up of this round the next one is (1 for the first)."""
    sent = [event for event in view.events
            if event.kind == "followup_sent" and event.data.get("round", view.round) == view.round]
    return len(sent) + 1


# -- what each email says ------------------------------------------------------------------------------------


def _request(view: MeetingView, _for_candidate: bool) -> Content:
    zone = view.display_timezone
    again = view.round > 0
    role = f" for the {view.job_name} role" if view.job_name else ""
    interest = f" in the {view.job_name} role" if view.job_name else ""
    if again:
        opening = f"We need to find a new time for your interview{role}. Here are the times open now."
    else:
        company = company_name()
        at = f" at {company}" if company else ""
        opening = (f"Thank you for your interest{interest}{at}. We'd like to invite you to a "
                   f"{view.duration_minutes}-minute interview{_with_phrase(view)}.")
    blocks: list[Block] = [
        Para(opening),
        Action("Choose a time", view.booking_url),
        Para(f"The times on offer run {_window_phrase(view, zone)}. The page shows them in your own time "
             "zone, and if none of them suit you, you can ask for other times there."),
    ]
    blocks.append(Facts((("Where", where(view)),)))
    job = f": {view.job_name}" if view.job_name else ""
    subject = f"New times for your interview{job}" if again else f"Choose a time for your interview{job}"
    return Content(subject=subject, greeting=_hello(view), blocks=tuple(blocks),
                   signature=_signature(view), preheader="Pick the time that suits you best.")


def _followup(view: MeetingView, _for_candidate: bool) -> Content:
    number = followup_number(view)
    role = f" for the {view.job_name} role" if view.job_name else ""
    if number == 1:
        blocks: tuple[Block, ...] = (
            Para(f"Just checking in: we'd still love to meet you{role}. When you have a moment, choose the "
                 "time that works best for you."),
            Action("Choose a time", view.booking_url),
            Para("If none of the times suit you, the same page lets you ask for others."),
        )
    elif number == 2:
        blocks = (Para("A quick nudge: your interview times are still open."),
                  Action("Choose a time", view.booking_url))
    else:
        blocks = (Para("Still interested? A time is one click away."),
                  Action("Choose a time", view.booking_url))
    subject = ("Reminder: choose a time for your interview" if number == 1
               else "Your interview times are still open")
    return Content(subject=subject, greeting=_hello(view), blocks=blocks, signature=_signature(view),
                   preheader="Your interview times are still open.")


def _dayof(view: MeetingView, _for_candidate: bool) -> Content:
    start, end = _booked(view)
    zone = view.display_timezone
    blocks: list[Block] = [
        Para(f"A short reminder: your interview is today at {clock(start, zone)} ({zone_label(zone)})."),
        Facts(_meeting_facts(view, start, end, zone, for_candidate=True)),
    ]
    if _is_link(view.location):
        blocks.append(Action("Join the call", str(view.location)))
    blocks += [Para("Need to change the time or can't make it?"), Action("Change or cancel", view.manage_url)]
    return Content(subject=f"Today at {clock(start, zone)}: your interview", greeting=_hello(view),
                   blocks=tuple(blocks), signature=_signature(view), preheader="See you soon.")


def _invite(view: MeetingView, for_candidate: bool) -> Content:
    start, end = _booked(view)
    zone = view.display_timezone if for_candidate else view.timezone
    when = short_when(start, zone)
    facts = Facts(_meeting_facts(view, start, end, zone, for_candidate=for_candidate))
    if for_candidate:
        blocks: tuple[Block, ...] = (
            Para("You're booked. Thank you! Here are the details; a calendar invitation is attached."),
            facts,
            Para("If something comes up, you can move or cancel the interview here:"),
            Action("Change or cancel", view.manage_url),
        )
        return Content(subject=f"Confirmed: your interview on {when}", greeting=_hello(view), blocks=blocks,
                       signature=_signature(view), preheader=f"Your interview is booked for {when}.")
    blocks = (Para(f"{view.candidate.name} picked a time. The calendar invitation is attached."), facts)
    return Content(subject=f"Booked: {view.title} on {when}", greeting="Hello,", blocks=blocks,
                   preheader=f"{view.candidate.name} booked {when}.")


def _update(view: MeetingView, for_candidate: bool) -> Content:
    start, end = _booked(view)
    zone = view.display_timezone if for_candidate else view.timezone
    when = short_when(start, zone)
    facts = Facts(_meeting_facts(view, start, end, zone, for_candidate=for_candidate))
    if for_candidate:
        blocks: tuple[Block, ...] = (
            Para("Your interview has a new time. The attached invitation updates your calendar."),
            facts,
            Action("Change or cancel", view.manage_url),
        )
        return Content(subject=f"New time: your interview on {when}", greeting=_hello(view), blocks=blocks,
                       signature=_signature(view), preheader=f"Your interview moved to {when}.")
    blocks = (Para(f"The interview with {view.candidate.name} moved. The attached invitation updates your "
                   "calendar."), facts)
    return Content(subject=f"Moved: {view.title} to {when}", greeting="Hello,", blocks=blocks,
                   preheader=f"Now {when}.")


def _cancel(view: MeetingView, for_candidate: bool) -> Content:
    declined = view.state == "declined"
    actor, reason = _last_cancel(view)
    slot = calendar_slot(view) if view.calendar_sequence is not None else None
    zone = view.display_timezone if for_candidate else view.timezone
    had = f" on {format_when(slot[0], slot[1], zone)}" if slot else ""
    role = f" for the {view.job_name} role" if view.job_name else ""
    if for_candidate:
        if declined:
            text = (f"As you asked, we've taken the interview{had} off your calendar. Thank you for letting "
                    "us know.")
        elif actor == "candidate":
            text = f"Your interview{had} is cancelled, as you asked. We've let the team know."
        elif slot:
            text = (f"We're sorry: your interview{role}{had} has been cancelled. We'll be in touch about "
                    "next steps.")
        else:
            text = (f"We're sorry: we've withdrawn the interview request{role}. We'll be in touch about next "
                    "steps.")
        blocks: tuple[Block, ...] = (Para(text),)
        if slot:
            blocks += (Para("The attached update removes it from your calendar."),)
        return Content(subject=f"Cancelled: your interview{role}", greeting=_hello(view), blocks=blocks,
                       signature=_signature(view))
    who = view.candidate.name
    text = (f"{who} declined the interview{had}." if declined
            else f"{who} cancelled the interview{had}." if actor == "candidate"
            else f"The interview with {who}{had} is cancelled.")
    internal: list[Block] = [Para(text)]
    if reason or view.decline_reason:
        internal.append(Facts((("Reason given", str(reason or view.decline_reason)),)))
    if slot:
        internal.append(Para("The attached update removes it from your calendar."))
    return Content(subject=f"Cancelled: {view.title}", greeting="Hello,", blocks=tuple(internal))


_CONTENT = {
    JobKind.REQUEST_EMAIL: _request,
    JobKind.FOLLOWUP_EMAIL: _followup,
    JobKind.DAYOF_REMINDER: _dayof,
    JobKind.INVITE_EMAIL: _invite,
    JobKind.UPDATE_EMAIL: _update,
    JobKind.CANCEL_EMAIL: _cancel,
}


def _calendar(kind: JobKind, view: MeetingView, *, for_candidate: bool, public_url: str) -> Calendar | None:
    if view.calendar_sequence is None or kind not in (JobKind.INVITE_EMAIL, JobKind.UPDATE_EMAIL,
                                                      JobKind.CANCEL_EMAIL):
        return None
    organizer = view.organizer.email if view.organizer is not None else _sender_address()
    if kind == JobKind.CANCEL_EMAIL:
        if calendar_slot(view) is None:
            return None
        return Calendar("CANCEL", invitation(view, method="CANCEL", sequence=view.calendar_sequence,
                                             organizer_email=organizer, domain=_domain(public_url)))
    return Calendar("REQUEST", invitation(view, method="REQUEST", sequence=view.calendar_sequence,
                                          organizer_email=organizer, domain=_domain(public_url),
                                          manage_url=view.manage_url if for_candidate else None))


# -- shared phrases ------------------------------------------------------------------------------------------


def format_when(start: datetime, end: datetime, zone: str) -> str:
    """"Tuesday 3 March 2026, 10:00 – 10:30 (Europe/Berlin)"."""
    year = start.astimezone(ZoneInfo(zone)).year
    return (f"{day_label(start, zone)} {year}, {clock(start, zone)} \u2013 {clock(end, zone)} "
            f"({zone_label(zone)})")


def short_when(start: datetime, zone: str) -> str:
    """"Tue 3 Mar, 10:00 (Europe/Berlin)": plain ASCII, for subject lines."""
    local = start.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} ({zone_label(zone)})"


def day_label(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B}"


def clock(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"


def zone_label(zone: str) -> str:
    return zone.replace("_", " ")


def _window_phrase(view: MeetingView, zone: str) -> str:
    first = min(view.slots) if view.slots else (view.window_start or view.window_end)
    last = max(view.slots) if view.slots else view.window_end - timedelta(seconds=1)
    if first.astimezone(ZoneInfo(zone)).date() == last.astimezone(ZoneInfo(zone)).date():
        return f"on {day_label(first, zone)}"
    return f"from {day_label(first, zone)} to {day_label(last, zone)}"


def _with_phrase(view: MeetingView) -> str:
    names = [name for person in view.attendees if (name := public_name(person))]
    return f" with {_join(names)}" if names else ""


def _meeting_facts(view: MeetingView, start: datetime, end: datetime, zone: str, *,
                   for_candidate: bool) -> tuple[tuple[str, str], ...]:
    rows = [("When", format_when(start, end, zone)), ("Where", where(view))]
    names = people_shown(view)
    if names:
        rows.append(("With", _join(names)))
    if not for_candidate:
        rows.append(("Candidate", f"{view.candidate.name} <{view.candidate.email}>"))
        if view.job_name:
            rows.append(("Role", view.job_name))
    return tuple(rows)


def _booked(view: MeetingView) -> tuple[datetime, datetime]:
    if view.booked_start is None:
        raise ValueError(f"meeting {view.id} has no booked time")
    return view.booked_start, view.booked_end or view.booked_start + timedelta(minutes=view.duration_minutes)


def _last_cancel(view: MeetingView) -> tuple[str | None, str | None]:
    for event in reversed(view.events):
        if event.kind in ("cancelled", "declined"):
            return event.actor, event.data.get("reason")
    return None, None


def _hello(view: MeetingView) -> str:
    first = view.candidate.name.split()[0] if view.candidate.name.strip() else ""
    return f"Hi {first}," if first and "@" not in first else "Hello,"


def _signature(view: MeetingView) -> str | None:
    """The organizer's real name and the company's, never a stand-in like "Local admin"."""
    name = public_name(view.organizer) if view.organizer is not None else None
    company = company_name()
    if name:
        return f"Best regards,\n{name}" + (f"\n{company}" if company else "")
    return f"Best regards,\nThe {company} hiring team" if company else None


def _attendee_name(view: MeetingView, email: str) -> str | None:
    return next((a.name for a in view.attendees if a.email.lower() == email.strip().lower()), None)


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _is_link(value: str | None) -> bool:
    return bool(value) and urlsplit(str(value).strip()).scheme in ("http", "https")


def _address(email: str, name: str | None) -> str:
    local, _, domain = email.strip().partition("@")
    return str(Address(display_name=name or "", username=local, domain=domain))


def _sender_address() -> str:
    header = default_policy.header_factory("From", default_sender())
    addresses: Sequence[Address] = getattr(header, "addresses", ())
    return addresses[0].addr_spec if addresses else "hirebot@localhost"


def _domain(public_url: str) -> str:
    return urlsplit(public_url).hostname or "hirebot.local"


# -- drawing -------------------------------------------------------------------------------------------------


def _assemble(content: Content, calendar: Calendar | None) -> EmailMessage:
    message = EmailMessage()
    message.set_content(render_text(content))
    message.add_alternative(render_html(content), subtype="html")
    if calendar is not None:
        body = calendar.body.decode("utf-8")
        # The inline part is what mail programs turn into an "accept / decline" invitation; the attachment is
        # for those that only offer attachments (application/ics, so nobody processes the event twice).
        message.add_alternative(body, subtype="calendar", params={"method": calendar.method})
        message.add_attachment(calendar.body, maintype="application", subtype="ics",
                               filename="invite.ics" if calendar.method == "REQUEST" else "cancel.ics")
    return message


def render_text(content: Content) -> str:
    parts = [content.greeting]
    for block in content.blocks:
        if isinstance(block, Para):
            parts.append(textwrap.fill(block.text, width=72, break_long_words=False, break_on_hyphens=False))
        elif isinstance(block, Action):
            parts.append(f"{block.label}:\n{block.url}")
        else:
            parts.append("\n".join(f"{label}: {value}" for label, value in block.rows))
    if content.signature:
        parts.append(content.signature)
    return "\n\n".join(parts) + "\n"


_LABEL_STYLE = "padding:4px 16px 4px 0;color:#4b5563;font-weight:normal;vertical-align:top;"
_FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
_HTML_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>'
    '<body style="margin:0;padding:0;background:#f3f4f6;">'
    '<div style="display:none;max-height:0;overflow:hidden;">{preheader}</div>'
    '<div style="max-width:560px;margin:0 auto;padding:24px 16px;">'
    '<div style="background:#ffffff;border-radius:12px;padding:24px;' + _FONT +
    'font-size:16px;line-height:1.5;color:#1f2933;">{body}</div>'
    '<p style="' + _FONT + 'font-size:13px;color:#4b5563;margin:16px 8px;">Sent by hirebot on behalf of {team}.</p>'
    '</div></body></html>'
)


def render_html(content: Content) -> str:
    """Inline styles only (mail programs drop style sheets); every value goes through html.escape."""
    e = html.escape
    parts = [f"<p>{e(content.greeting)}</p>"]
    for block in content.blocks:
        if isinstance(block, Para):
            parts.append(f"<p>{e(block.text)}</p>")
        elif isinstance(block, Action):
            parts.append(_button(block))
        else:
            rows = "".join(f'<tr><th align="left" style="{_LABEL_STYLE}">{e(label)}</th>'
                           f'<td style="padding:4px 0;">{_value(value)}</td></tr>'
                           for label, value in block.rows)
            parts.append(f'<table role="presentation" style="border-collapse:collapse;margin:8px 0 16px;">'
                         f"{rows}</table>")
    if content.signature:
        parts.append("<p>" + "<br>".join(e(line) for line in content.signature.splitlines()) + "</p>")
    company = company_name()
    team = f"the {company} hiring team" if company else "the hiring team"
    return _HTML_PAGE.format(title=e(content.subject), preheader=e(content.preheader), body="".join(parts),
                             team=e(team))


def _button(action: Action) -> str:
    e = html.escape
    href = e(action.url, quote=True)
    return (f'<p style="margin:20px 0;"><a href="{href}" style="display:inline-block;background:#1d4ed8;'
            f'color:#ffffff;text-decoration:none;font-weight:600;padding:12px 20px;border-radius:8px;">'
            f"{e(action.label)}</a></p>"
            f'<p style="font-size:13px;color:#4b5563;word-break:break-all;">Or open this link: '
            f'<a href="{href}" style="color:#1d4ed8;">{e(action.url)}</a></p>')


def _value(value: str) -> str:
    """A fact's value; a web address (a video link) becomes a link, anything else stays text."""
    if _is_link(value):
        safe = html.escape(value.strip(), quote=True)
        return f'<a href="{safe}" style="color:#1d4ed8;">{safe}</a>'
    return html.escape(value)
