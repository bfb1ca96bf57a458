"""Scheduling settings in chat: "my settings" shows them on a card, and plain sentences change them ("brief me
30 minutes before meetings", "my time zone is Europe/Berlin"). Platform-neutral: it returns Replies.

Every change goes through `scheduler.user_settings.update_settings`, whose ConfigError sentence is the answer
when a value is refused (nothing is changed then). A change to the briefing lead, the morning digest or the
time zone moves the user's pending briefings in the same transaction. The calendar feed link is a secret:
no reply ever contains it, only its host.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from bot.intents import Intent, IntentName
from bot.messages import Person
from bot.replies import Card, Field, Reply
from scheduler.briefings import replan_user_briefings
from scheduler.meetings import SchedulingDefaults
from scheduler.user_settings import (
    SchedulingSettings,
    describe_working_hours,
    find_timezone,
    load_settings,
    parse_working_hours,
    require_https_feed,
    set_workspace_min_notice,
    update_settings,
    workspace_min_notice,
)
from store.crypto import SecretBox
from store.db import transaction

DEFAULT_NOTICE_MINUTES = int(SchedulingDefaults().min_notice.total_seconds() // 60)
# Settings whose change moves pending briefing or digest jobs.
BRIEFING_FIELDS = frozenset({"briefing_lead_minutes", "morning_digest", "morning_digest_hour", "timezone"})


def _say(*examples: str) -> str:
    return " or ".join(f"\u201c{example}\u201d" for example in examples)


# How to change each setting, as shown on the card (field label → example sentences).
HOW_TO = {
    "Time zone": _say("my time zone is Europe/Berlin"),
    "Working hours": _say("my working hours are Mon-Fri 9-17:30"),
    "Default meeting length": _say("default meeting length 45 minutes"),
    "Default location": _say("my default location is https://meet\u2026", "remove my default location"),
    "Calendar feed": _say("my calendar feed is https://\u2026/basic.ics", "remove my calendar feed"),
    "Briefing": _say("brief me 30 minutes before meetings"),
    "Morning digest": _say("digest at 8am", "turn off the morning digest"),
    "Candidate reminder": _say("send candidates their reminder at 9am"),
    "Follow-ups": _say("follow up after 1 and 3 days", "no follow-ups"),
    "Notice": _say("give candidates at least 4 hours notice", "workspace minimum notice 1 day"),
}


def describe_minutes(minutes: int) -> str:
    """'45 minutes', '1 hour', '1 hour 30 minutes'."""
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def describe_followups(delays: tuple[float, ...]) -> str:
    """'1 and 3 days', '12 hours and 2 days', '1 day'; 'none' for no follow-ups."""
    if not delays:
        return "none"
    if all(d >= 1 for d in delays):
        numbers = [f"{d:g}" for d in delays]
        joined = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
        return f"{joined} day{'s' if delays != (1.0,) else ''}"
    return " and ".join(_days_or_hours(d) for d in delays)


def _days_or_hours(days: float) -> str:
    if days < 1:
        hours = round(days * 24)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{days:g} day{'s' if days != 1 else ''}"


class SettingsDesk:
    """Shows and changes one user's scheduling settings from chat."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.box = box
        self.clock = clock

    def handle(self, sender: Person, intent: Intent) -> Reply:
        if intent.name is IntentName.MY_SETTINGS:
            return self.show(sender)
        return self.change(sender, intent.entities)

    # -- showing -------------------------------------------------------------------------------------------

    def show(self, sender: Person) -> Reply:
        with self.sessions() as session:
            settings = load_settings(session, sender.user_id, self.box)
            workspace_notice = workspace_min_notice(session, sender.workspace_id)
        return Reply(text="Here are your scheduling settings. To change one, just tell me, in words like the "
                          "examples on the card.", intent=IntentName.MY_SETTINGS,
                     cards=(settings_card(settings, workspace_notice=workspace_notice),), private=True)

    # -- changing ------------------------------------------------------------------------------------------

    def change(self, sender: Person, entities: Mapping[str, str | int]) -> Reply:
        """Apply one change read from a message; a refused value changes nothing and says why."""
        if entities.get("setting") == "min_notice_minutes" and entities.get("scope") == "workspace":
            return self._workspace_notice(sender, entities)
        try:
            changes, confirm = read_change(entities)
            with transaction(self.sessions) as session:
                before = load_settings(session, sender.user_id, self.box)
                updated = update_settings(session, sender.user_id, self.box, **changes)
                moved = 0
                if BRIEFING_FIELDS & changes.keys():
                    moved = replan_user_briefings(session, sender.user_id, self.box, self.clock())
        except ConfigError as exc:
            return self._reply(str(exc))
        text = confirm(before, updated)
        if moved and "briefing_lead_minutes" in changes:
            text += f" I moved {moved} planned briefing{'s' if moved != 1 else ''} to match."
        return self._reply(text, changed=True)

    def _workspace_notice(self, sender: Person, entities: Mapping[str, str | int]) -> Reply:
        """The notice everyone in the workspace gets unless they set their own: admins only."""
        if not sender.is_admin:
            return self._reply("Only a workspace admin can change the notice for everyone; you can set your own, "
                               "e.g. \u201cgive candidates at least 4 hours notice\u201d.")
        try:
            changes, _confirm = _notice(entities)
            with transaction(self.sessions) as session:
                set_workspace_min_notice(session, sender.workspace_id, changes["min_notice_minutes"])
        except ConfigError as exc:
            return self._reply(str(exc))
        return self._reply(f"Done: for everyone in this workspace who hasn't set their own, the first time offered "
                           f"to a candidate is at least {describe_minutes(changes['min_notice_minutes'])} away.",
                           changed=True)

    @staticmethod
    def _reply(text: str, *, changed: bool = False) -> Reply:
        return Reply(text=text, intent=IntentName.CHANGE_SETTING, private=True, extra={"changed": changed})


def settings_card(settings: SchedulingSettings, *, workspace_notice: int | None = None) -> Card:
    """Every preference with how to change it; the calendar feed only as its host."""
    if settings.min_notice_minutes is not None:
        notice = f"{describe_minutes(settings.min_notice_minutes)} (yours)"
    elif workspace_notice is not None:
        notice = f"{describe_minutes(workspace_notice)} (the workspace's)"
    else:
        notice = f"{describe_minutes(DEFAULT_NOTICE_MINUTES)} (the default)"
    if settings.ics_feed_url:
        feed = settings.feed_hint or "set"
    elif settings.feed_unreadable:
        feed = "stored but unreadable since the app's secret key changed; please set it again"
    else:
        feed = "not set"
    digest = f"on, at {settings.morning_digest_hour:02d}:00" if settings.morning_digest else "off"
    current = {
        "Time zone": settings.timezone,
        "Working hours": describe_working_hours(settings.working_days),
        "Default meeting length": describe_minutes(settings.default_duration_minutes),
        "Default location": settings.default_location or "not set",
        "Calendar feed": feed,
        "Briefing": f"{describe_minutes(settings.briefing_lead_minutes)} before each meeting",
        "Morning digest": digest,
        "Candidate reminder": f"{settings.dayof_reminder_hour:02d}:00 on the day, in the candidate's time zone",
        "Follow-ups": (f"{describe_followups(settings.followup_delays_days)} after the request, while the "
                       "candidate hasn't picked a time" if settings.followup_delays_days else "none"),
        "Notice": f"the first time offered to a candidate is at least {notice} away",
    }
    return Card(title="Your scheduling settings",
                fields=tuple(Field(label, f"{value}\nTo change: {HOW_TO[label]}") for label, value in current.items()),
                context=("The calendar feed's private link is stored encrypted and never shown.",), kind="settings")


# -- reading each change ----------------------------------------------------------------------------------------

Confirm = Callable[[SchedulingSettings, SchedulingSettings], str]
Reader = Callable[[Mapping[str, str | int]], tuple[dict[str, Any], Confirm]]


def read_change(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    """What to store for a change_setting intent and how to confirm it, or a ConfigError saying what to write."""
    reader = _READERS.get(str(entities.get("setting", "")))
    if reader is None:
        raise ConfigError("I didn't catch which setting to change. Say \u201cmy settings\u201d to see them all, "
                          "with an example for each.")
    return reader(entities)


def _raw(entities: Mapping[str, str | int]) -> str:
    return str(entities.get("raw", ""))[:80]


def _briefing_lead(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    if "minutes" not in entities:
        raise ConfigError(f"I couldn't read \u201c{_raw(entities)}\u201d as a time before the meeting. Say e.g. "
                          "\u201cbrief me 30 minutes before meetings\u201d (1 minute to 24 hours).")
    return ({"briefing_lead_minutes": int(entities["minutes"])},
            lambda _old, new: f"Done: your briefing DMs now come {describe_minutes(new.briefing_lead_minutes)} "
                              "before each meeting.")


def _digest(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    if "raw" in entities:
        raise ConfigError(f"I couldn't read \u201c{_raw(entities)}\u201d as an hour; the digest goes out on the hour. "
                          "Say e.g. \u201cdigest at 8am\u201d.")
    if not entities.get("enabled"):
        return {"morning_digest": False}, lambda old, _new: (
            "Done: no more morning digest." if old.morning_digest else "The morning digest was already off.")
    changes: dict[str, Any] = {"morning_digest": True}
    if "hour" in entities:
        changes["morning_digest_hour"] = int(entities["hour"])
    return changes, lambda _old, new: (
        f"Done: on days with interviews, you get a morning digest of them at {new.morning_digest_hour:02d}:00 "
        f"({new.timezone}).")


def _working_hours(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    days = parse_working_hours(str(entities.get("hours", "")))
    return {"working_days": days}, lambda _old, new: (
        f"Done: your working hours are now {describe_working_hours(new.working_days)} ({new.timezone}). "
        "I offer candidates times inside them.")


def _timezone(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    zone = find_timezone(str(entities.get("zone", "")))
    return {"timezone": zone}, lambda _old, new: (
        f"Done: your time zone is now {new.timezone}; your working hours "
        f"({describe_working_hours(new.working_days)}) are read in it.")


def _feed(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    if entities.get("remove"):
        return {"ics_feed_url": None}, lambda old, _new: (
            "Done: I removed your calendar feed; I'll only use your working hours to find free times."
            if old.ics_feed_url or old.feed_unreadable else "You had no calendar feed set, so nothing changed.")
    url = require_https_feed(str(entities.get("url", "")))
    return {"ics_feed_url": url}, lambda _old, new: (
        f"Done: I'll check your calendar feed at {new.feed_hint} for busy times. The private link is stored "
        "encrypted and I won't show it again; you may want to delete your message that contains it.")


def _duration(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    if "minutes" not in entities:
        raise ConfigError(f"I couldn't read \u201c{_raw(entities)}\u201d as a length. Say e.g. \u201cdefault meeting "
                          "length 45 minutes\u201d.")
    return {"default_duration_minutes": int(entities["minutes"])}, lambda _old, new: (
        f"Done: new meetings are {describe_minutes(new.default_duration_minutes)} long unless you say otherwise.")


def _location(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    location = " ".join(str(entities.get("location", "")).split())
    if entities.get("remove") or not location:
        return {"default_location": None}, lambda _old, _new: "Done: new meetings have no default location."
    return {"default_location": location}, lambda _old, new: (
        f"Done: new meetings take place at \u201c{new.default_location}\u201d unless you say otherwise.")


def _reminder(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    if "hour" not in entities:
        raise ConfigError(f"I couldn't read \u201c{_raw(entities)}\u201d as an hour; the reminder goes out on the "
                          "hour. Say e.g. \u201csend candidates their reminder at 9am\u201d.")
    return {"dayof_reminder_hour": int(entities["hour"])}, lambda _old, new: (
        f"Done: candidates get their day-of reminder at {new.dayof_reminder_hour:02d}:00 their time, for meetings "
        "booked from now on.")


def _followups(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    if "days" not in entities:
        raise ConfigError(f"I couldn't read \u201c{_raw(entities)}\u201d as follow-up delays. Say e.g. \u201cfollow "
                          "up after 1 and 3 days\u201d or \u201cno follow-ups\u201d.")
    text = str(entities["days"])
    try:
        delays = tuple(float(part) for part in text.split(",")) if text else ()
    except ValueError:
        raise ConfigError("Say the follow-up delays in days, e.g. \u201cfollow up after 1 and 3 days\u201d.") from None
    return {"followup_delays_days": delays}, lambda _old, new: (
        "Done: no follow-up emails; candidates only get the request." if not new.followup_delays_days
        else f"Done: when a candidate hasn't picked a time, I follow up "
             f"{describe_followups(new.followup_delays_days)} after the request, for requests sent from now on.")


def _notice(entities: Mapping[str, str | int]) -> tuple[dict[str, Any], Confirm]:
    if "minutes" not in entities:
        raise ConfigError(f"I couldn't read \u201c{_raw(entities)}\u201d as an amount of time. Say e.g. \u201cgive "
                          "candidates at least 4 hours notice\u201d.")
    return {"min_notice_minutes": int(entities["minutes"])}, lambda _old, new: (
        f"Done: the first time I offer a candidate is at least {describe_minutes(new.min_notice_minutes or 0)} "
        "away.")


_READERS: dict[str, Reader] = {
    "briefing_lead_minutes": _briefing_lead,
    "morning_digest": _digest,
    "working_days": _working_hours,
    "timezone": _timezone,
    "ics_feed_url": _feed,
    "default_duration_minutes": _duration,
    "default_location": _location,
    "dayof_reminder_hour": _reminder,
    "followup_delays_days": _followups,
    "min_notice_minutes": _notice,
}
