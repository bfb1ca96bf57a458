"""Scheduling settings from chat: each phrasing changes the stored setting, the card shows every preference with how
to change it (the calendar feed only as its host), refused values change nothing and say why, and a new briefing
lead or digest choice moves the user's pending briefing jobs in the same transaction.

Real database (SQLite and PostgreSQL), real parser, real `SettingsDesk`; the briefing tests use the real meeting
service and dispatcher from tests/test_briefings.py with an injected clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from bot.intents import IntentName, parse
from bot.messages import Person
from bot.replies import Reply
from bot.settings_chat import HOW_TO, SettingsDesk
from bot.slack.markup import slack_text
from scheduler.briefings import digest_key
from scheduler.jobs import JobKind
from scheduler.meetings import MeetingService
from scheduler.user_settings import (
    SchedulingSettings,
    describe_working_hours,
    find_timezone,
    load_settings,
    parse_working_hours,
)
from store.meeting_models import ScheduledJob
from store.models import User
from tests import factories
from tests.rigs.briefings import START, Team
from tests.rigs.scheduling_clock import NOW, Clock

BOX = factories.BOX
SECRET_FEED = "https://calendar.example/calendar/ical/rita%40acme.test/private-5f3a9c1e7b/basic.ics"
WEEKDAYS_8_4 = {day: ((time(8), time(16)),) for day in range(5)}
# SQLite per test, one PostgreSQL database per module (emptied between tests): see tests/rigs/databases.py.
pytestmark = pytest.mark.shared_postgres


class Chat:
    """One user talking to the settings desk through the real parser, as Slack hands it their messages."""

    def __init__(self, sessions: sessionmaker[Session], person: Person, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.person = person
        self.desk = SettingsDesk(sessions, BOX, clock)

    def say(self, text: str) -> Reply:
        intent = parse(slack_text(text))
        assert intent.name in (IntentName.MY_SETTINGS, IntentName.CHANGE_SETTING), (text, intent)
        return self.desk.handle(self.person, intent)

    def settings(self) -> SchedulingSettings:
        with self.sessions() as session:
            return load_settings(session, self.person.user_id, BOX)

    def stored(self) -> str:
        """The user's settings exactly as stored (the feed sealed), to prove a refusal changed nothing."""
        with self.sessions() as session:
            user = session.get(User, self.person.user_id)
            assert user is not None
            return json.dumps(user.settings, sort_keys=True)


def chat_for(sessions: sessionmaker[Session], clock: Callable[[], datetime] = Clock()) -> Chat:
    workspace = factories.workspace(sessions)
    user = factories.user(sessions, workspace, f"rita{next(factories._ids)}@acme.test")
    return Chat(sessions, Person(workspace_id=workspace.id, user_id=user.id, email=user.email, display_name="Rita"),
                clock)


def everything_shown(reply: Reply) -> str:
    return reply.text + json.dumps([[card.title, card.context, [(f.label, f.value) for f in card.fields]]
                                    for card in reply.cards])


# -- each phrasing changes the stored setting -----------------------------------------------------------------

# (message, what to read back, its expected value, the exact confirmation when checked)
CHANGES: list[tuple[str, Callable[[SchedulingSettings], object], object, str | None]] = [
    ("brief me 30 minutes before meetings", lambda s: s.briefing_lead_minutes, 30,
     "Done: your briefing DMs now come 30 minutes before each meeting."),
    ("set my briefing to 1 hour before", lambda s: s.briefing_lead_minutes, 60,
     "Done: your briefing DMs now come 1 hour before each meeting."),
    ("Please brief me an hour and a half before each interview!", lambda s: s.briefing_lead_minutes, 90,
     "Done: your briefing DMs now come 1 hour 30 minutes before each meeting."),
    ("turn on the morning digest", lambda s: (s.morning_digest, s.morning_digest_hour), (True, 7),
     "Done: on days with interviews, you get a morning digest of them at 07:00 (UTC)."),
    ("digest at 8am", lambda s: (s.morning_digest, s.morning_digest_hour), (True, 8),
     "Done: on days with interviews, you get a morning digest of them at 08:00 (UTC)."),
    ("my working hours are Mon-Fri 9-17:30", lambda s: describe_working_hours(s.working_days),
     "Mon-Fri 09:00-17:30", "Done: your working hours are now Mon-Fri 09:00-17:30 (UTC). I offer candidates times "
                            "inside them."),
    ("working hours: 8am to 4pm weekdays", lambda s: s.working_days, WEEKDAYS_8_4,
     "Done: your working hours are now Mon-Fri 08:00-16:00 (UTC). I offer candidates times inside them."),
    ("set my working hours to Mon-Thu 08:00-16:00, Fri 08:00-12:00", lambda s: describe_working_hours(s.working_days),
     "Mon-Thu 08:00-16:00, Fri 08:00-12:00", None),
    ("my time zone is Europe/Berlin", lambda s: s.timezone, "Europe/Berlin",
     "Done: your time zone is now Europe/Berlin; your working hours (Mon-Fri 09:00-17:00) are read in it."),
    ("I'm in America/New_York", lambda s: s.timezone, "America/New_York", None),
    ("i am in berlin", lambda s: s.timezone, "Europe/Berlin", None),
    ("set my timezone to asia/tokyo please", lambda s: s.timezone, "Asia/Tokyo", None),
    ("default meeting length 45 minutes", lambda s: s.default_duration_minutes, 45,
     "Done: new meetings are 45 minutes long unless you say otherwise."),
    ("make my meetings an hour long by default", lambda s: s.default_duration_minutes, 60, None),
    ("my default location is <https://meet.example/abc-defg-hij|meet.example/abc-defg-hij>",
     lambda s: s.default_location, "https://meet.example/abc-defg-hij",
     "Done: new meetings take place at \u201chttps://meet.example/abc-defg-hij\u201d unless you say otherwise."),
    ("set the default location to Room 4, please", lambda s: s.default_location, "Room 4", None),
    ("send candidates their reminder at 9am", lambda s: s.dayof_reminder_hour, 9,
     "Done: candidates get their day-of reminder at 09:00 their time, for meetings booked from now on."),
    ("follow up after 2 and 5 days", lambda s: s.followup_delays_days, (2.0, 5.0),
     "Done: when a candidate hasn't picked a time, I follow up 2 and 5 days after the request, for requests sent "
     "from now on."),
    ("no follow-ups", lambda s: s.followup_delays_days, (),
     "Done: no follow-up emails; candidates only get the request."),
]


@pytest.mark.parametrize(("message", "read", "expected", "confirmation"), CHANGES, ids=[c[0] for c in CHANGES])
def test_each_phrasing_changes_the_stored_setting(sessions: sessionmaker[Session], message: str,
                                                  read: Callable[[SchedulingSettings], object], expected: object,
                                                  confirmation: str | None) -> None:
    chat = chat_for(sessions)
    assert read(chat.settings()) != expected
    reply = chat.say(message)
    assert read(chat.settings()) == expected, reply.text
    assert reply.private and reply.extra == {"changed": True}
    if confirmation is not None:
        assert reply.text == confirmation


def test_changes_add_up_and_undo(sessions: sessionmaker[Session]) -> None:
    chat = chat_for(sessions)
    chat.say("my default location is Room 4")
    chat.say("digest at 6am")
    assert chat.say("turn off the morning digest").text == "Done: no more morning digest."
    assert chat.say("stop the morning digest").text == "The morning digest was already off."
    assert chat.say("remove my default location").text == "Done: new meetings have no default location."
    settings = chat.settings()
    assert (settings.default_location, settings.morning_digest, settings.morning_digest_hour) == (None, False, 6)
    assert chat.say("turn on the morning digest").text == ("Done: on days with interviews, you get a morning digest "
                                                           "of them at 06:00 (UTC).")


# -- the calendar feed is a secret ------------------------------------------------------------------------------


def test_the_feed_link_is_stored_but_never_shown_in_full(sessions: sessionmaker[Session]) -> None:
    chat = chat_for(sessions)
    done = chat.say(f"my calendar feed is <{SECRET_FEED}>")
    assert chat.settings().ics_feed_url == SECRET_FEED
    assert done.text.startswith("Done: I'll check your calendar feed at calendar.example (private link hidden)")
    card = chat.say("show my settings")
    shown = {field.label: field.value for field in card.cards[0].fields}
    assert shown["Calendar feed"].startswith("calendar.example (private link hidden)\n")
    for reply in (done, card):
        assert "private-5f3a9c1e7b" not in everything_shown(reply) and "rita%40acme" not in everything_shown(reply)
    assert "private-5f3a9c1e7b" not in chat.stored()  # sealed at rest too
    removed = chat.say("remove my calendar feed")
    assert removed.text.startswith("Done: I removed your calendar feed")
    assert chat.settings().ics_feed_url is None
    assert chat.say("delete my calendar feed").text == "You had no calendar feed set, so nothing changed."


def test_the_settings_card_lists_every_preference_with_how_to_change_it(sessions: sessionmaker[Session]) -> None:
    chat = chat_for(sessions)
    reply = chat.say("my settings")
    assert reply.intent == IntentName.MY_SETTINGS and reply.private
    (card,) = reply.cards
    shown = {field.label: field.value.split("\nTo change: ") for field in card.fields}
    assert list(shown) == list(HOW_TO)
    assert {label: value for label, (value, _how) in shown.items()} == {
        "Time zone": "UTC", "Working hours": "Mon-Fri 09:00-17:00", "Default meeting length": "30 minutes",
        "Default location": "not set", "Calendar feed": "not set", "Briefing": "15 minutes before each meeting",
        "Morning digest": "off", "Candidate reminder": "08:00 on the day, in the candidate's time zone",
        "Follow-ups": "1 and 3 days after the request, while the candidate hasn't picked a time",
        "Notice": "the first time offered to a candidate is at least 2 hours (the default) away"}
    assert all(how == HOW_TO[label] for label, (_value, how) in shown.items())


@pytest.mark.parametrize("label", list(HOW_TO))
def test_every_example_on_the_card_is_understood(label: str) -> None:
    for example in HOW_TO[label].split(" or "):
        intent = parse(example.strip("\u201c\u201d"))
        assert intent.name is IntentName.CHANGE_SETTING, example
        assert "raw" not in intent.entities, example


# -- refused input changes nothing ----------------------------------------------------------------------------

REFUSED = [
    ("my time zone is Mars/Olympus", "'Mars/Olympus' is not a time zone I know; use a name like Europe/Berlin or "
                                     "America/New_York."),
    ("my calendar feed is http://calendar.example/private-5f3a9c1e7b/basic.ics",
     "The calendar feed must start with https://"),
    ("my calendar feed is javascript:alert(1)//x.ics", "The calendar feed must be a link starting with https://"),
    ("brief me 2000 minutes before meetings", "Briefings can come between 1 minute and 24 hours (1440 minutes) "
                                              "before a meeting."),
    ("brief me 0 minutes before meetings", "Briefings can come between 1 minute and 24 hours"),
    ("set my briefing to banana", "I couldn't read \u201cbanana\u201d as a time before the meeting."),
    ("my working hours are someday", "I can't read 'someday' in the working hours; write e.g."),
    ("my working hours are 17-9", "Working hours 17:00-09:00 end before they start"),
    ("digest at 25", "The morning digest hour must be between 0 and 23."),
    ("set my digest to 6:30", "I couldn't read \u201c6:30\u201d as an hour; the digest goes out on the hour."),
    ("default meeting length 2 minutes", "Default meeting length must be between 5 and 480 minutes."),
    ("follow up after 40 days", "Follow-ups: up to 4 delays"),
    ("remind candidates at 9:30", "I couldn't read \u201c9:30\u201d as an hour"),
    ("my default location is " + "x" * 600, "The default location can be at most 500 characters"),
]


@pytest.mark.parametrize(("message", "answer"), REFUSED, ids=[m[:40] for m, _ in REFUSED])
def test_invalid_input_changes_nothing_and_says_why(sessions: sessionmaker[Session], message: str,
                                                    answer: str) -> None:
    chat = chat_for(sessions)
    chat.say(f"my calendar feed is {SECRET_FEED}")
    before = chat.stored()
    reply = chat.say(message)
    assert reply.text.startswith(answer), reply.text
    assert reply.extra == {"changed": False} and reply.private
    assert chat.stored() == before
    assert "private-5f3a9c1e7b" not in reply.text


def test_an_unknown_user_is_told_not_crashed_on(sessions: sessionmaker[Session]) -> None:
    ghost = SettingsDesk(sessions, BOX, Clock())
    person = Person(workspace_id=1, user_id=987654, email="ghost@acme.test")
    assert ghost.handle(person, parse("brief me 20 minutes before meetings")).text == "That user no longer exists."


# -- pending briefings move with the settings --------------------------------------------------------------------


def briefing_row(sessions: sessionmaker[Session], meeting_id: int, user_id: int) -> ScheduledJob:
    with sessions() as session:
        return session.scalars(select(ScheduledJob).where(
            ScheduledJob.meeting_id == meeting_id, ScheduledJob.kind == JobKind.BRIEFING,
            ScheduledJob.idempotency_key.endswith(f":{user_id}:v0"))).one()


def digest_row(sessions: sessionmaker[Session], user_id: int, day: date) -> ScheduledJob | None:
    with sessions() as session:
        return session.scalars(select(ScheduledJob).where(
            ScheduledJob.idempotency_key == digest_key(user_id, day))).one_or_none()


async def test_a_new_lead_moves_the_pending_briefing_of_a_booked_meeting(sessions: sessionmaker[Session],
                                                                         tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    booked = await team.book()
    chat = Chat(sessions, team.rita, team.clock)
    assert briefing_row(sessions, booked.id, team.rita.user_id).due_at == START - timedelta(minutes=15)
    reply = chat.say("brief me 1 hour before meetings")
    assert reply.text == ("Done: your briefing DMs now come 1 hour before each meeting. I moved 1 planned briefing "
                          "to match.")
    moved = briefing_row(sessions, booked.id, team.rita.user_id)
    assert (moved.state, moved.due_at, moved.payload["lead_minutes"]) == ("pending", START - timedelta(hours=1), 60)
    assert briefing_row(sessions, booked.id, team.hank_id).due_at == START - timedelta(minutes=15)  # only hers
    await team.run_at(START - timedelta(minutes=61))
    assert team.sender.sent == []
    await team.run_at(START - timedelta(hours=1))
    assert [uid for uid, _ in team.sender.sent] == [team.rita.user_id]
    assert team.sender.sent[0][1].text.startswith("Coming up in 60 minutes:")


async def test_a_briefing_already_sent_is_not_planned_again(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    booked = await team.book()
    await team.run_at(START - timedelta(minutes=30))  # Ivan's 30-minute briefing goes out
    ivan = Person(workspace_id=team.rita.workspace_id, user_id=team.ivan_id, email=team.ivan_email)
    reply = Chat(sessions, ivan, team.clock).say("brief me 10 minutes before meetings")
    assert reply.text == "Done: your briefing DMs now come 10 minutes before each meeting."
    sent = briefing_row(sessions, booked.id, team.ivan_id)
    assert (sent.state, sent.due_at) == ("done", START - timedelta(minutes=30))
    await team.run_at(START - timedelta(minutes=10))
    assert [uid for uid, _ in team.sender.sent].count(team.ivan_id) == 1


async def test_the_digest_follows_on_off_its_hour_and_the_time_zone(sessions: sessionmaker[Session],
                                                                    tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)  # Rita is in Europe/Berlin; the interview is 15:00 there on Tue 8 Dec
    await team.book()
    chat = Chat(sessions, team.rita, team.clock)
    day = date(2026, 12, 8)
    assert digest_row(sessions, team.rita.user_id, day) is None
    chat.say("turn on the morning digest")
    row = digest_row(sessions, team.rita.user_id, day)
    assert row is not None and (row.state, row.due_at) == ("pending", datetime(2026, 12, 8, 6, tzinfo=UTC))
    chat.say("digest at 9am")
    row = digest_row(sessions, team.rita.user_id, day)
    assert row is not None and (row.state, row.due_at) == ("pending", datetime(2026, 12, 8, 8, tzinfo=UTC))
    chat.say("turn off the morning digest")
    row = digest_row(sessions, team.rita.user_id, day)
    assert row is not None and (row.state, row.note) == ("cancelled",
                                                         "No longer needed: the morning digest was turned off.")
    chat.say("turn on the morning digest")
    chat.say("my time zone is America/New_York")  # 09:00 in New York is 14:00 UTC: not before the interview
    row = digest_row(sessions, team.rita.user_id, day)
    assert row is not None and row.state == "cancelled"
    assert row.note == "No longer needed: at the new digest time it would come after that day's interviews."
    chat.say("digest at 7am")  # 12:00 UTC
    row = digest_row(sessions, team.rita.user_id, day)
    assert row is not None and (row.state, row.due_at) == ("pending", datetime(2026, 12, 8, 12, tzinfo=UTC))
    assert row.payload["timezone"] == "America/New_York"
    await team.run_at(datetime(2026, 12, 8, 12, tzinfo=UTC))
    ((uid, digest),) = team.sender.sent
    assert uid == team.rita.user_id and digest.text == "Your interview today, Tue 8 Dec: 1."


def test_changes_before_any_meeting_plan_nothing(sessions: sessionmaker[Session]) -> None:
    chat = chat_for(sessions, Clock(NOW))
    chat.say("digest at 6am")
    chat.say("brief me 5 minutes before meetings")
    with sessions() as session:
        assert session.scalars(select(ScheduledJob)).all() == []


# -- the text forms --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "shown"), [
    ("Mon-Fri 09:00-17:00", "Mon-Fri 09:00-17:00"),
    ("Mon-Thu 08:00-16:00, Fri 08:00-12:00", "Mon-Thu 08:00-16:00, Fri 08:00-12:00"),
    ("mon-fri 9-17:30", "Mon-Fri 09:00-17:30"),
    ("9am to 5pm weekdays", "Mon-Fri 09:00-17:00"),
    ("weekdays 9-5", "Mon-Fri 09:00-17:00"),
    ("from 9 to 5 on weekdays", "Mon-Fri 09:00-17:00"),
    ("9-17", "Mon-Fri 09:00-17:00"),
    ("1-5pm", "Mon-Fri 13:00-17:00"),
    ("9.30 a.m. - 4 p.m. Monday to Friday", "Mon-Fri 09:30-16:00"),
    ("Tue and Thu 9-12, 13-17", "Tue 09:00-12:00, 13:00-17:00, Thu 09:00-12:00, 13:00-17:00"),
    ("Mon 9-12 and Tue 13-17", "Mon 09:00-12:00, Tue 13:00-17:00"),
    ("noon to 6pm, weekends", "Sat-Sun 12:00-18:00"),
    ("between 10 and 4 every day", "Mon-Sun 10:00-16:00"),
])
def test_working_hours_are_read_in_the_cli_and_the_chat_forms(text: str, shown: str) -> None:
    assert describe_working_hours(parse_working_hours(text)) == shown


@pytest.mark.parametrize("text", ["", "someday", "Mon-Fri", "9-5 weekdays, 10-12", "25-26", "13pm-5pm", "17-9",
                                  "Mon-Fri 9-17; DROP TABLE users", "9" * 500])
def test_unreadable_working_hours_are_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match=r"write e\.g\."):
        parse_working_hours(text)


@pytest.mark.parametrize(("text", "zone"), [
    ("Europe/Berlin", "Europe/Berlin"), ("europe/berlin", "Europe/Berlin"), ("Berlin", "Europe/Berlin"),
    ("new york", "America/New_York"), ("UTC", "UTC"), ("gmt", "UTC"), ("America/Argentina/Buenos_Aires",
                                                                       "America/Argentina/Buenos_Aires"),
])
def test_time_zones_are_found_as_people_type_them(text: str, zone: str) -> None:
    assert find_timezone(text) == zone


@pytest.mark.parametrize("text", ["Mars/Olympus", "PST", "", "../../etc/passwd", "Europe/Berlin\x00"])
def test_unknown_time_zones_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ConfigError, match="Europe/Berlin"):
        find_timezone(text)


# -- the notice before the first offered time -------------------------------------------------------------------


async def test_the_notice_before_the_first_offered_time_is_a_user_and_a_workspace_setting(
        sessions: sessionmaker[Session]) -> None:
    clock = Clock(datetime(2026, 12, 8, 8, 0, tzinfo=UTC))  # a Tuesday morning
    workspace = factories.workspace(sessions)
    jane = factories.candidate(sessions, factories.connection(sessions, workspace), "Jane", "Doe",
                               email="jane@example.com")
    rita, cole, ada = (factories.user(sessions, workspace, f"{name}{next(factories._ids)}@acme.test",
                                      admin=name == "ada") for name in ("rita", "cole", "ada"))
    people = [Person(workspace_id=workspace.id, user_id=u.id, email=u.email, display_name=u.display_name,
                     is_admin=u.is_admin) for u in (rita, cole, ada)]
    chat, cole_chat, admin = (Chat(sessions, person, clock) for person in people)
    service = MeetingService(sessions, BOX, public_url="https://hirebot.test", token_key=b"k" * 32, clock=clock)

    async def first_offered(person: Person) -> datetime:
        proposal = await service.propose(person, jane.id, when="today")
        return min(proposal.slots)

    assert await first_offered(chat.person) == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # the default: 2 hours
    done = chat.say("give candidates at least 4 hours notice")
    assert done.text == "Done: the first time I offer a candidate is at least 4 hours away."
    assert chat.settings().min_notice_minutes == 240
    assert await first_offered(chat.person) == datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    # The workspace's notice: only an admin sets it, and it applies to whoever hasn't set their own.
    assert chat.say("workspace minimum notice 6 hours").text.startswith("Only a workspace admin can change")
    assert admin.say("workspace minimum notice 6 hours").text.startswith("Done: for everyone in this workspace")
    assert await first_offered(cole_chat.person) == datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    assert await first_offered(chat.person) == datetime(2026, 12, 8, 12, 0, tzinfo=UTC)  # her own still wins
    shown = {f.label: f.value for f in cole_chat.say("my settings").cards[0].fields}
    assert shown["Notice"].startswith("the first time offered to a candidate is at least 6 hours (the workspace's)")
    assert chat.say("minimum notice 20 days").text.startswith("The notice before the first time offered must be")
