"""Draws the scheduler's pre-meeting briefings and morning digests as chat replies.

The scheduler decides who is briefed, when, and with which records (`scheduler.briefings`), and hands over a
plain `Briefing` or `Digest`; this module turns it into the platform-neutral `Reply` every front end already
knows how to post: a line to read at a glance, the meeting card, and the candidate card.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.candidate_card import PersonRecords, candidate_card
from bot.replies import Card, Field, Link, Reply
from scheduler.briefings import Briefing, CandidateRecords, Digest, MeetingBrief

INTENT = "briefing"
DIGEST_INTENT = "briefing_digest"


def local_slot(start: datetime, end: datetime, zone: str) -> str:
    """'Tue 8 Dec, 10:00–10:30 (Europe/Berlin)': the meeting as the reader's clock shows it."""
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}–{end.astimezone(tz):%H:%M} ({zone})"


def starts_in(start: datetime, now: datetime) -> str:
    minutes = max(0, round((start - now).total_seconds() / 60))
    if minutes < 1:
        return "now"
    if minutes < 120:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"in about {hours} hours"


def person_records(records: CandidateRecords | None) -> PersonRecords | None:
    """The scheduler's records of the candidate as the candidate card reads them."""
    if records is None:
        return None
    return PersonRecords(rows=records.rows, connections=dict(records.connections))


def _source_links(person: PersonRecords | None) -> tuple[Link, ...]:
    return tuple(Link(f"Open in {source.provider_label}", source.url)
                 for source in (person.sources() if person else ()) if source.url)


def meeting_card(brief: MeetingBrief, *, zone: str, person: PersonRecords | None, for_email: str) -> Card:
    """The meeting itself: when (in the reader's zone), where, with whom, and the candidate's ATS record."""
    others = [f"{label} ({role.replace('_', ' ')})" for label, email, role in brief.attendees
              if email.lower() != for_email.lower()]
    fields = [Field("When", local_slot(brief.start, brief.end, zone)),
              Field("Location", brief.location or "Not set"),
              Field("Candidate", f"{brief.candidate_name} <{brief.candidate_email}>")]
    if brief.job_name:
        fields.append(Field("Role", brief.job_name))
    if others:
        fields.append(Field("Also attending", ", ".join(others)))
    return Card(title=brief.title, fields=tuple(fields), links=_source_links(person), kind="meeting",
                subject_id=str(brief.id))


def outside_card(brief: MeetingBrief) -> Card:
    """For a candidate with no ATS record this reader can see."""
    return Card(title=brief.candidate_name, fields=(Field("Email", brief.candidate_email),),
                context=("No ATS record you can see: they may be new, or in a connection you don't have.",),
                kind="candidate")


def briefing_reply(briefing: Briefing) -> Reply:
    """The briefing DM: a line to read at a glance, the meeting card and the candidate card."""
    brief, zone, now = briefing.meeting, briefing.zone, briefing.now
    person = person_records(briefing.candidate)
    text = (f"Coming up {starts_in(brief.start, now)}: {brief.title} with {brief.candidate_name}, "
            f"{local_slot(brief.start, brief.end, zone)}.")
    if brief.location:
        text += f" Where: {brief.location}."
    candidate = candidate_card(person, now) if person is not None else outside_card(brief)
    return Reply(text=text, intent=INTENT, private=True,
                 cards=(meeting_card(brief, zone=zone, person=person, for_email=briefing.for_email), candidate),
                 extra={"meeting_id": brief.id, "idempotency_key": briefing.key})


def digest_reply(digest: Digest) -> Reply:
    """The morning digest: one compact card per interview of the day, in the reader's zone."""
    count, day, zone = len(digest.entries), digest.day, digest.zone
    text = f"Your interview{'s' if count != 1 else ''} today, {_day_label(day)}: {count}."
    cards = []
    for entry in digest.entries:
        brief = entry.meeting
        fields = [Field("When", local_slot(brief.start, brief.end, zone)),
                  Field("Location", brief.location or "Not set")]
        if brief.job_name:
            fields.append(Field("Role", brief.job_name))
        cards.append(Card(title=f"{brief.candidate_name}: {brief.title}", fields=tuple(fields),
                          links=_source_links(person_records(entry.candidate)), kind="meeting",
                          subject_id=str(brief.id)))
    return Reply(text=text, intent=DIGEST_INTENT, private=True, cards=tuple(cards),
                 extra={"idempotency_key": digest.key, "day": day.isoformat()})


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def render_briefing(message: Briefing | Digest) -> Reply:
    """The chat reply for either kind of briefing."""
    return briefing_reply(message) if isinstance(message, Briefing) else digest_reply(message)


class ReplySender(Protocol):
    """A front end's private-reply delivery (the Slack notifier's `send`, for one)."""

    def send(self, user_id: int, reply: Reply) -> None: ...


class RenderingBriefingSender:
    """The scheduler's `BriefingSender` for a front end that posts replies: draws, then hands the reply on."""

    def __init__(self, replies: ReplySender) -> None:
        self.replies = replies

    def send(self, user_id: int, briefing: Briefing | Digest) -> None:
        self.replies.send(user_id, render_briefing(briefing))


__all__ = [
    "DIGEST_INTENT", "INTENT", "RenderingBriefingSender", "ReplySender", "briefing_reply", "digest_reply",
    "local_slot", "meeting_card", "outside_card", "person_records", "render_briefing", "starts_in",
]
