"""Intent parsing: the many ways people ask, Slack/Teams markup (cleaned by each front end before the core
reads it), and hostile input that must not break it."""

from __future__ import annotations

import dataclasses
import random
import unicodedata

import pytest

from bot.intents import (
    MAX_MESSAGE_CHARS,
    RULES,
    Intent,
    IntentName,
    clean_query,
    clean_text,
    linkedin_profile,
    parse,
)
from bot.slack.markup import slack_text
from bot.teams.markup import teams_text

WHO, SCHED, HELP, HI, THANKS, UNKNOWN = (IntentName.WHO_IS, IntentName.SCHEDULE, IntentName.HELP,
                                         IntentName.GREETING, IntentName.THANKS, IntentName.UNKNOWN)


def from_chat(message: str) -> Intent:
    """A message as its front end hands it to the core: the cases below are typed as they arrive from Slack,
    except those with Teams' `<at>` mentions, which come through Teams' cleaner."""
    return parse(teams_text(message) if "<at>" in message else slack_text(message))


# (message, intent, query, entities)
PARSE_CASES: list[tuple[str, IntentName, str | None, dict[str, str | int]]] = [
    # who is
    ("who is Jane Doe", WHO, "Jane Doe", {}),
    ("who is Jane Doe?", WHO, "Jane Doe", {}),
    ("who's jane", WHO, "jane", {}),
    ("whos jane doe", WHO, "jane doe", {}),
    ("Who’s Jane O’Brien?", WHO, "Jane O'Brien", {}),
    ("WHO IS JANE", WHO, "JANE", {}),
    ("who is “Jane Doe”?", WHO, "Jane Doe", {}),
    ("who is `jane`", WHO, "jane", {}),
    ("*who is jane*", WHO, "jane", {}),
    ("who is jane please", WHO, "jane", {}),
    ("who is Doe, Jane?", WHO, "Doe, Jane", {}),
    ("who is on call?", WHO, "on call", {}),
    ("tell me about jane", WHO, "jane", {}),
    ("tell me more about Jane Doe!", WHO, "Jane Doe", {}),
    ("hey, can you tell me about Jane Doe please?", WHO, "Jane Doe", {}),
    ("what do you know about jane", WHO, "jane", {}),
    ("look up jane", WHO, "jane", {}),
    ("lookup jane", WHO, "jane", {}),
    ("look jane up", WHO, "jane", {}),
    ("look up jane@example.com", WHO, "jane@example.com", {"email": "jane@example.com"}),
    ("info on jane", WHO, "jane", {}),
    ("information about jane doe", WHO, "jane doe", {}),
    ("get info for Jane", WHO, "Jane", {}),
    ("status of jane", WHO, "jane", {}),
    ("what's the status of jane doe?", WHO, "jane doe", {}),
    ("what is the current status of Jane Doe's application?", WHO, "Jane Doe", {}),
    ("what’s jane's status?", WHO, "jane", {}),
    ("jane's status?", WHO, "jane", {}),
    ("james' application", WHO, "james", {}),
    ("any updates on jane", WHO, "jane", {}),
    ("pull up jane", WHO, "jane", {}),
    ("could you pull up jane", WHO, "jane", {}),
    ("please pull up Jane Doe, thanks", WHO, "Jane Doe", {}),
    ("find jane", WHO, "jane", {}),
    ("find the candidate named jane doe", WHO, "jane doe", {}),
    ("show me jane", WHO, "jane", {}),
    ("show me jane's application", WHO, "jane", {}),
    ("help me find jane", WHO, "jane", {}),
    ("hey hirebot, who is jane", WHO, "jane", {}),
    ("Jane Doe?", WHO, "Jane Doe", {}),
    ("jane?", WHO, "jane", {}),
    ("Will Smith?", WHO, "Will Smith", {}),
    ("¿Jane Doe?", WHO, "Jane Doe", {}),
    ("王伟?", WHO, "王伟", {}),
    ("محمد علي؟", WHO, "محمد علي", {}),
    ("Jane@Example.com", WHO, "Jane@Example.com", {"email": "jane@example.com"}),
    ("jane@example.com?", WHO, "jane@example.com", {"email": "jane@example.com"}),
    ("hi jane?", WHO, "jane", {}),  # a greeting, a name and a question mark: a lookup (module docstring)
    ("who is", WHO, None, {}),
    ("who is jane? 👋🏽", WHO, "jane", {}),
    # schedule
    ("schedule", SCHED, None, {}),
    ("schedule with jane", SCHED, "jane", {}),
    ("schedule an interview with Jane Doe", SCHED, "Jane Doe", {}),
    ("schedule a call with jane", SCHED, "jane", {}),
    ("set up a meeting with jane", SCHED, "jane", {}),
    ("setup a call with jane", SCHED, "jane", {}),
    ("set up time with jane", SCHED, "jane", {}),
    ("book jane", SCHED, "jane", {}),
    ("book me a call with jane", SCHED, "jane", {}),
    ("arrange an interview with jane", SCHED, "jane", {}),
    ("schedule our second round interview with jane", SCHED, "jane", {}),
    ("can you schedule jane for tomorrow", SCHED, "jane", {"when": "tomorrow"}),
    ("book a 45 minute interview with Jane next week", SCHED, "Jane",
     {"duration_minutes": 45, "when": "next week"}),
    ("schedule a 1 hour call with jane@example.com on 2026-12-01", SCHED, "jane@example.com",
     {"duration_minutes": 60, "when": "on 2026-12-01", "email": "jane@example.com"}),
    ("book half an hour with jane between dec 1 and dec 5", SCHED, "jane",
     {"duration_minutes": 30, "when": "between dec 1 and dec 5"}),
    ("schedule a 90-minute interview with jane in 2 days", SCHED, "jane",
     {"duration_minutes": 90, "when": "in 2 days"}),
    ("book jane 1.5 hours next monday", SCHED, "jane", {"duration_minutes": 90, "when": "next monday"}),
    ("schedule 45m with jane on Friday at 3pm", SCHED, "jane",
     {"duration_minutes": 45, "when": "on friday at 3pm"}),
    ("schedule 1h with jane monday", SCHED, "jane", {"duration_minutes": 60, "when": "monday"}),
    ("schedule jane for 45 min today", SCHED, "jane", {"duration_minutes": 45, "when": "today"}),
    ("book an hour with jane this week", SCHED, "jane", {"duration_minutes": 60, "when": "this week"}),
    ("schedule for tomorrow", SCHED, None, {"when": "tomorrow"}),
    ("schedule an interview", SCHED, None, {}),
    ("schedule an interview with jane for the designer role", SCHED, "jane", {}),
    ("please set up a 30 min call with Jane@Example.com tomorrow at 10am", SCHED, "Jane@Example.com",
     {"duration_minutes": 30, "when": "tomorrow at 10am", "email": "jane@example.com"}),
    ("find a time with jane next week", SCHED, "jane", {"when": "next week"}),
    ("<@U0BOT> schedule with <mailto:jane@example.com|jane@example.com> please", SCHED, "jane@example.com",
     {"email": "jane@example.com"}),
    # help
    ("help", HELP, None, {}),
    ("help!", HELP, None, {}),
    ("help me", HELP, None, {}),
    ("Help with scheduling", HELP, None, {}),
    ("can you help me?", HELP, None, {}),
    ("what can you do", HELP, None, {}),
    ("hey there, what can you do?", HELP, None, {}),
    ("how does this work", HELP, None, {}),
    ("how do I use this?", HELP, None, {}),
    ("commands", HELP, None, {}),
    ("list commands", HELP, None, {}),
    ("who are you?", HELP, None, {}),
    ("tell me about yourself", HELP, None, {}),
    ("?", HELP, None, {}),
    ("??", HELP, None, {}),
    # greeting
    ("hi", HI, None, {}),
    ("hello", HI, None, {}),
    ("hey", HI, None, {}),
    ("Hey!", HI, None, {}),
    ("good morning", HI, None, {}),
    ("yo", HI, None, {}),
    ("hiya", HI, None, {}),
    ("hello there!", HI, None, {}),
    ("hi hirebot", HI, None, {}),
    ("hey @hirebot 👋", HI, None, {}),
    ("<@U0BOT> hi", HI, None, {}),
    ("<at>hirebot</at> hello", HI, None, {}),
    ("hirebot", HI, None, {}),
    # thanks
    ("thanks", THANKS, None, {}),
    ("thank you", THANKS, None, {}),
    ("Thank you so much 🙏", THANKS, None, {}),
    ("thx", THANKS, None, {}),
    ("ty", THANKS, None, {}),
    ("cheers", THANKS, None, {}),
    ("much appreciated", THANKS, None, {}),
    ("ok thanks!", THANKS, None, {}),
    ("thanks, hirebot!", THANKS, None, {}),
    # unknown
    ("", UNKNOWN, None, {}),
    ("   \n\t ", UNKNOWN, None, {}),
    ("what is the weather", UNKNOWN, None, {}),
    ("what is the weather?", UNKNOWN, None, {}),
    ("hi jane", UNKNOWN, None, {}),
    ("really?", UNKNOWN, None, {}),
    ("who is it", UNKNOWN, None, {}),
    ("show me", UNKNOWN, None, {}),
    ("tell me a joke", UNKNOWN, None, {}),
    ("DROP TABLE candidates;--", UNKNOWN, None, {}),
    ("'; DROP TABLE users; --?", UNKNOWN, None, {}),
    ("Robert'); DROP TABLE Students;--?", UNKNOWN, None, {}),
]


@pytest.mark.parametrize(("message", "name", "query", "entities"), PARSE_CASES,
                         ids=[c[0] or "<empty>" for c in PARSE_CASES])
def test_parse_forms(message: str, name: IntentName, query: str | None,
                     entities: dict[str, str | int]) -> None:
    intent = from_chat(message)
    assert (intent.name, intent.query, dict(intent.entities)) == (name, query, entities)




@pytest.mark.parametrize(("message", "query"), [
    ("refresh jane", "jane"), ("resync Jane Doe", "Jane Doe"), ("please refresh jane's record", "jane"),
    ("refresh José García now", "José García"), ("re-read jane@example.com", "jane@example.com"),
    ("refresh", None),
])
def test_refresh(message: str, query: str | None) -> None:
    intent = parse(message)
    assert (intent.name, intent.query) == (IntentName.REFRESH, query)


@pytest.mark.parametrize(("message", "provider"), [
    ("open jobs", None), ("show me open roles", None), ("what jobs are open?", None),
    ("jobs for Greenhouse", "greenhouse"), ("list open positions in lever", "lever"), ("jobs", None),
    ("open roles in Breezy", "breezyhr"), ("jobs in Zoho Recruit", "zoho"), ("jobs in zoho", "zoho"),
])
def test_jobs(message: str, provider: str | None) -> None:
    intent = parse(message)
    assert intent.name is IntentName.JOBS
    assert intent.entities.get("provider") == provider


@pytest.mark.parametrize(("message", "name", "query", "when"), [
    ("reschedule with jane", IntentName.RESCHEDULE, "jane", None),
    ("re-schedule the interview with jane", IntentName.RESCHEDULE, "jane", None),
    ("can you reschedule jane for friday?", IntentName.RESCHEDULE, "jane", "friday"),
    ("move the call with jane to tomorrow", IntentName.RESCHEDULE, "jane", "tomorrow"),
    ("postpone jane's interview", IntentName.RESCHEDULE, "jane", None),
    ("cancel the interview with Jane Doe", IntentName.CANCEL, "Jane Doe", None),
    ("cancel with jane", IntentName.CANCEL, "jane", None),
    ("why didn't Jane get a reminder?", IntentName.WHY_NO_REMINDER, "Jane", None),
    ("why didn't jane doe get the day-of reminder", IntentName.WHY_NO_REMINDER, "jane doe", None),
    ("what did you log for jane", IntentName.WHAT_LOGGED, "jane", None),
    ("what did you record in greenhouse for Jane Doe?", IntentName.WHAT_LOGGED, "Jane Doe", None),
    ("what did you log in Zoho Recruit for Jane Doe", IntentName.WHAT_LOGGED, "Jane Doe", None),
    ("what did you write to workable for jane", IntentName.WHAT_LOGGED, "jane", None),
    ("show me the log for jane", IntentName.WHAT_LOGGED, "jane", None),
])
def test_meeting_changes(message: str, name: IntentName, query: str, when: str | None) -> None:
    intent = parse(message)
    assert (intent.name, intent.query, intent.entities.get("when")) == (name, query, when)


@pytest.mark.parametrize(("message", "query"), [
    ("why no reminder for Jane Doe?", "Jane Doe"),
    ("why no reminder for jane", "jane"),
    ("Why was there no reminder for Jane?", "Jane"),
    ("why wasn't there a reminder for jane doe", "jane doe"),
    ("why no day-of reminder to jane@example.com?", "jane@example.com"),
    ("no reminder for jane?", "jane"),
    ("why didn't jane get reminded?", "jane"),
    ("why wasn't jane reminded", "jane"),
    ("why hasn't Jane Doe been reminded?", "Jane Doe"),
    ("why did jane not get a reminder?", "jane"),
    ("why didn't you remind jane?", "jane"),
    ("why didn't you send jane a reminder", "jane"),
    ("why did Jane Doe never get a follow-up?", "Jane Doe"),
    ("did jane get a reminder?", "jane"),
    ("why no follow-up for jane", "jane"),
])
def test_why_no_reminder_in_other_words(message: str, query: str) -> None:
    intent = parse(message)
    assert (intent.name, intent.query) == (IntentName.WHY_NO_REMINDER, query)


@pytest.mark.parametrize(("message", "query"), [
    ("Rebecca Smith", "Rebecca Smith"),
    ("rebecca smith", "rebecca smith"),
    ("José García Márquez", "José García Márquez"),
    ("Doe, Jane", "Doe, Jane"),
    ("Anne-Marie O'Connor", "Anne-Marie O'Connor"),
    ("whois Rebecca Smith", "Rebecca Smith"),
    ("whois rebecca smith?", "rebecca smith"),
])
def test_a_bare_name_is_a_lookup(message: str, query: str) -> None:
    intent = from_chat(message)
    assert (intent.name, intent.query) == (WHO, query)


@pytest.mark.parametrize("message", [
    "hi jane", "good night", "sounds good", "never mind", "no worries", "got it", "see you", "well done",
    "makes sense", "not now", "thank you", "send", "yes", "cancel", "lol", "jane", "Jane Smith Jones Brown Green Lee",
    "I work with jane", "DROP TABLE candidates",
])
def test_chat_that_is_not_a_name_stays_what_it_was(message: str) -> None:
    assert from_chat(message).name is not WHO


@pytest.mark.parametrize("message", ["my meetings", "show me my meetings", "what's on my calendar today"])
def test_my_meetings(message: str) -> None:
    assert parse(message).name is IntentName.MY_MEETINGS


SET = IntentName.CHANGE_SETTING

# (message, entities of the settings change)
SETTINGS_CASES: list[tuple[str, dict[str, str | int]]] = [
    ("brief me 30 minutes before meetings", {"setting": "briefing_lead_minutes", "minutes": 30}),
    ("Brief me an hour before each interview, please", {"setting": "briefing_lead_minutes", "minutes": 60}),
    ("set my briefing to 1 hour before", {"setting": "briefing_lead_minutes", "minutes": 60}),
    ("change my briefings to 45 min before the meeting starts", {"setting": "briefing_lead_minutes", "minutes": 45}),
    ("my briefing lead time is 1h 30m", {"setting": "briefing_lead_minutes", "minutes": 90}),
    ("briefing: 20", {"setting": "briefing_lead_minutes", "minutes": 20}),
    ("move my briefing to 2 hours before", {"setting": "briefing_lead_minutes", "minutes": 120}),
    ("send me briefings 10 minutes before meetings", {"setting": "briefing_lead_minutes", "minutes": 10}),
    ("brief me a day before", {"setting": "briefing_lead_minutes", "minutes": 1440}),
    ("brief me 99999 minutes before meetings", {"setting": "briefing_lead_minutes", "minutes": 99999}),
    ("set my briefing to soon", {"setting": "briefing_lead_minutes", "raw": "soon"}),
    ("turn on the morning digest", {"setting": "morning_digest", "enabled": 1}),
    ("turn the morning digest on please", {"setting": "morning_digest", "enabled": 1}),
    ("enable my daily digest", {"setting": "morning_digest", "enabled": 1}),
    ("send me a morning digest at 8am", {"setting": "morning_digest", "enabled": 1, "hour": 8}),
    ("digest at 8am", {"setting": "morning_digest", "enabled": 1, "hour": 8}),
    ("Morning digest at 7:00.", {"setting": "morning_digest", "enabled": 1, "hour": 7}),
    ("set my digest to 6:30", {"setting": "morning_digest", "enabled": 1, "raw": "6:30"}),
    ("turn off the morning digest", {"setting": "morning_digest", "enabled": 0}),
    ("stop the digest", {"setting": "morning_digest", "enabled": 0}),
    ("cancel the morning digest", {"setting": "morning_digest", "enabled": 0}),
    ("I don't want a morning digest anymore", {"setting": "morning_digest", "enabled": 0}),
    ("my working hours are Mon-Fri 9-17:30", {"setting": "working_days", "hours": "Mon-Fri 9-17:30"}),
    ("Working hours: 9am to 5pm weekdays", {"setting": "working_days", "hours": "9am to 5pm weekdays"}),
    ("set my working hours to Mon-Thu 8-16, Fri 8-12", {"setting": "working_days", "hours": "Mon-Thu 8-16, Fri 8-12"}),
    ("I work 9 to 5 weekdays", {"setting": "working_days", "hours": "9 to 5 weekdays"}),
    ("my time zone is Europe/Berlin", {"setting": "timezone", "zone": "Europe/Berlin"}),
    ("I'm in America/New_York", {"setting": "timezone", "zone": "America/New_York"}),
    ("I’m based in New York", {"setting": "timezone", "zone": "New York"}),
    ("hey hirebot, set my timezone to UTC please", {"setting": "timezone", "zone": "UTC"}),
    ("timezone: asia/tokyo", {"setting": "timezone", "zone": "asia/tokyo"}),
    ("my time zone is Mars/Olympus", {"setting": "timezone", "zone": "Mars/Olympus"}),
    ("my calendar feed is https://calendar.example/ical/private-abc/basic.ics",
     {"setting": "ics_feed_url", "url": "https://calendar.example/ical/private-abc/basic.ics"}),
    ("<@U0BOT> my calendar feed is <https://calendar.example/ical/p-1/basic.ics|calendar.example/ical/p-1/basic.ics>",
     {"setting": "ics_feed_url", "url": "https://calendar.example/ical/p-1/basic.ics"}),
    ("use <webcal://cal.example/x.ics> as my calendar feed", {"setting": "ics_feed_url", "url": "webcal://cal.example/x.ics"}),
    ("set my ics link to http://cal.example/x.ics", {"setting": "ics_feed_url", "url": "http://cal.example/x.ics"}),
    ("remove my calendar feed", {"setting": "ics_feed_url", "remove": 1}),
    ("delete my ics link", {"setting": "ics_feed_url", "remove": 1}),
    ("default meeting length 45 minutes", {"setting": "default_duration_minutes", "minutes": 45}),
    ("set my default meeting length to 1 hour", {"setting": "default_duration_minutes", "minutes": 60}),
    ("make my meetings 45 minutes by default", {"setting": "default_duration_minutes", "minutes": 45}),
    ("default duration: forever", {"setting": "default_duration_minutes", "raw": "forever"}),
    ("my default location is https://meet.example/abc-defg-hij",
     {"setting": "default_location", "location": "https://meet.example/abc-defg-hij"}),
    ("default location: <https://zoom.example/j/1|zoom.example/j/1>",
     {"setting": "default_location", "location": "https://zoom.example/j/1"}),
    ("set the default location to Room 4, please", {"setting": "default_location", "location": "Room 4"}),
    ("remove my default location", {"setting": "default_location", "remove": 1}),
    ("default location: none", {"setting": "default_location", "remove": 1}),
    ("send candidates their reminder at 9am", {"setting": "dayof_reminder_hour", "hour": 9}),
    ("day-of reminder at 7 a.m.", {"setting": "dayof_reminder_hour", "hour": 7}),
    ("set the candidate reminder to noon", {"setting": "dayof_reminder_hour", "hour": 12}),
    ("follow up after 1 and 3 days", {"setting": "followup_delays_days", "days": "1,3"}),
    ("follow-ups after 2, 4 days", {"setting": "followup_delays_days", "days": "2,4"}),
    ("set my follow-ups to 12 hours and 1 week", {"setting": "followup_delays_days", "days": "0.5,7"}),
    ("no follow-ups", {"setting": "followup_delays_days", "days": ""}),
    ("don't follow up", {"setting": "followup_delays_days", "days": ""}),
    ("follow up after a while", {"setting": "followup_delays_days", "raw": "after a while"}),
]


@pytest.mark.parametrize(("message", "entities"), SETTINGS_CASES, ids=[c[0] for c in SETTINGS_CASES])
def test_settings_changes(message: str, entities: dict[str, str | int]) -> None:
    intent = from_chat(message)
    assert (intent.name, intent.query, dict(intent.entities)) == (SET, None, entities)


@pytest.mark.parametrize("message", [
    "my settings", "show my settings", "settings", "Settings?", "what are my settings?", "show me my preferences",
    "change my settings", "what's my time zone?", "change my working hours", "my working hours",
    "how do I change my calendar feed?",
])
def test_show_settings(message: str) -> None:
    assert parse(message).name is IntentName.MY_SETTINGS


@pytest.mark.parametrize(("message", "name", "query"), [
    # The settings words must not take over what already meant something else.
    ("update jane", IntentName.REFRESH, "jane"),
    ("move the call with jane to tomorrow", IntentName.RESCHEDULE, "jane"),
    ("reschedule my meeting with jane", IntentName.RESCHEDULE, "jane"),
    ("cancel the interview with Jane Doe", IntentName.CANCEL, "Jane Doe"),
    ("what's on my calendar today", IntentName.MY_MEETINGS, None),
    ("show me my calendar", IntentName.MY_MEETINGS, None),
    ("my meetings this week", IntentName.MY_MEETINGS, None),
    ("my calendar today", IntentName.MY_MEETINGS, None),
    ("set up a meeting with jane tomorrow at 9am", SCHED, "jane"),
    ("book a 30 minute slot with jane", SCHED, "jane"),
    ("why didn't jane get the day-of reminder", IntentName.WHY_NO_REMINDER, "jane"),
    ("help with settings", HELP, None),
    ("I'm in a meeting", UNKNOWN, None),
    ("i'm in", UNKNOWN, None),
    ("brief me on jane", UNKNOWN, None),
    ("briefings for jane", UNKNOWN, None),
    ("follow up with jane", UNKNOWN, None),
    ("I work with jane", UNKNOWN, None),
])
def test_settings_rules_leave_other_intents_alone(message: str, name: IntentName, query: str | None) -> None:
    intent = parse(message)
    assert (intent.name, intent.query) == (name, query)


@pytest.mark.parametrize(("message", "query", "entities"), [
    ("schedule with jane@example.com https://linkedin.com/in/jane-doe", "jane@example.com",
     {"email": "jane@example.com", "linkedin_url": "https://www.linkedin.com/in/jane-doe"}),
    ("schedule with jane@example.com <https://www.linkedin.com/in/jane-doe/|linkedin.com/in/jane-doe>",
     "jane@example.com", {"email": "jane@example.com", "linkedin_url": "https://www.linkedin.com/in/jane-doe"}),
    ("schedule with <mailto:jane@example.com|jane@example.com> <https://www.linkedin.com/in/jane|her profile>",
     "jane@example.com", {"email": "jane@example.com", "linkedin_url": "https://www.linkedin.com/in/jane"}),
    ("book a 45 minute call with Jane Doe tomorrow https://uk.linkedin.com/in/Jane-Doe-123?trk=people#x",
     "Jane Doe", {"duration_minutes": 45, "when": "tomorrow", "linkedin_url": "https://www.linkedin.com/in/Jane-Doe-123"}),
    ("schedule jane@example.com linkedin.com/in/jane-doe/details/experience/ next week", "jane@example.com",
     {"email": "jane@example.com", "when": "next week", "linkedin_url": "https://www.linkedin.com/in/jane-doe"}),
    ("book jane@example.com http://www.linkedin.com/pub/jane-doe/1a/2b3/4c5", "jane@example.com",
     {"email": "jane@example.com", "linkedin_url": "https://www.linkedin.com/pub/jane-doe/1a/2b3/4c5"}),
    ("schedule with josé https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa", "josé",
     {"linkedin_url": "https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa"}),
    ("schedule with jane@example.com https://notlinkedin.com/in/x", "jane@example.com",
     {"email": "jane@example.com"}),
])
def test_schedule_takes_a_linkedin_profile_link(message: str, query: str, entities: dict[str, str | int]) -> None:
    intent = from_chat(message)
    assert (intent.name, intent.query, dict(intent.entities)) == (SCHED, query, dict(sorted(entities.items())))


@pytest.mark.parametrize(("url", "profile"), [
    ("linkedin.com/in/jane-doe", "https://www.linkedin.com/in/jane-doe"),
    ("HTTPS://DE.LinkedIn.com/in/Jane_Doe/?originalSubdomain=de", "https://www.linkedin.com/in/Jane_Doe"),
    ("https://www.linkedin.com/pub/jane-doe/1a/2b3/4c5/", "https://www.linkedin.com/pub/jane-doe/1a/2b3/4c5"),
    ("https://www.linkedin.com/company/acme", None), ("https://linkedin.com.evil.example/in/jane", None),
    ("javascript:alert(1)//linkedin.com/in/x", None), ("", None),
])
def test_linkedin_profile_links_are_normalized(url: str, profile: str | None) -> None:
    assert linkedin_profile(url) == profile


@pytest.mark.parametrize(("phrase", "minutes"), [
    ("45 minute", 45), ("45 min", 45), ("45 mins", 45), ("45m", 45), ("90-minute", 90), ("1 hour", 60),
    ("1h", 60), ("an hour", 60), ("half an hour", 30), ("half-hour", 30), ("1.5 hours", 90),
    ("an hour and a half", 90), ("1h 30m", 90), ("2 hours", 120), ("two hours", 120),
])
def test_duration_forms(phrase: str, minutes: int) -> None:
    intent = parse(f"book a {phrase} call with jane")
    assert (intent.name, intent.query, intent.entities.get("duration_minutes")) == (SCHED, "jane", minutes)


@pytest.mark.parametrize("phrase", ["0 minutes", "9999 minutes"])
def test_implausible_durations_are_not_entities(phrase: str) -> None:
    intent = parse(f"book jane for {phrase}")
    assert (intent.query, dict(intent.entities)) == ("jane", {})


@pytest.mark.parametrize(("phrase", "when"), [
    ("today", "today"), ("tomorrow", "tomorrow"), ("for tomorrow", "tomorrow"), ("this week", "this week"),
    ("next week", "next week"), ("sometime next week", "next week"), ("monday", "monday"),
    ("Sunday", "sunday"), ("next monday", "next monday"), ("on 2026-12-01", "on 2026-12-01"),
    ("on 12/01", "on 12/01"), ("Dec 3rd", "dec 3rd"), ("on the 5th", "on the 5th"),
    ("between dec 1 and dec 5", "between dec 1 and dec 5"), ("in 2 days", "in 2 days"),
    ("in an hour", "in an hour"), ("tomorrow afternoon", "tomorrow afternoon"),
    ("by friday", "by friday"), ("at 3pm", "at 3pm"),
])
def test_when_forms(phrase: str, when: str) -> None:
    intent = parse(f"schedule an interview with jane {phrase}")
    assert (intent.name, intent.query, dict(intent.entities)) == (SCHED, "jane", {"when": when})


def test_month_names_are_dates_only_with_a_day() -> None:
    assert parse("schedule with May").query == "May"
    assert parse("schedule with May Chen may 4").entities == {"when": "may 4"}


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("<@U0BOT> who is jane?", "who is jane?"),
    ("<@U0BOT|hirebot>: who is jane", "who is jane"),
    ("  <@W0BOT>, hello", "hello"),
    ("<@U0BOT> ask <@U0BOT|hirebot> again", "ask @hirebot again"),
    ("who is <@U123|jane.doe>?", "who is @jane.doe?"),
    ("who is <@U123>?", "who is ?"),
    ("who is <mailto:jane@example.com|jane@example.com>", "who is jane@example.com"),
    ("mail <mailto:jane@example.com|Jane>", "mail jane@example.com"),
    ("see <https://example.com/jobs/1|the job>", "see the job"),
    ("see <https://example.com/x?a=1&amp;b=2>", "see https://example.com/x?a=1&b=2"),
    ("<!channel> who is jane", "who is jane"),
    ("<!here> hi <!everyone>", "hi"),
    ("<!here|here> hi", "hi"),
    ("ping <!subteam^S123|@recruiters>", "ping @recruiters"),
    ("<!date^1392734382^{date}|Feb 18, 2014> is the day", "Feb 18, 2014 is the day"),
    ("in <#C123|hiring>", "in #hiring"),
    ("Tom &amp; Jerry &lt;3 &gt;", "Tom & Jerry <3 >"),
    ("&amp;lt;b&amp;gt;", "&lt;b&gt;"),
    ("&lt;@U123&gt; stays text", "<@U123> stays text"),
    ("<https://x.example|<@U123>>", "<https://x.example|>"),
    ("see <https://linkedin.com/in/jane|linkedin.com/in/jane>", "see https://linkedin.com/in/jane"),
    ("see <https://www.linkedin.com/in/jane|her profile>", "see https://www.linkedin.com/in/jane"),
    ("see <http://example.com/a/|example.com/a>", "see http://example.com/a/"),
])
def test_slack_markup_becomes_plain_text(raw: str, cleaned: str) -> None:
    assert slack_text(raw) == cleaned


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("<at>hirebot</at> who is jane", "who is jane"),
    ("<at>hirebot</at>&nbsp;schedule with <at>Jane Doe</at>", "schedule with @Jane Doe"),
    ("<p>who is jane</p>", "who is jane"),
])
def test_teams_markup_becomes_plain_text(raw: str, cleaned: str) -> None:
    assert teams_text(raw) == cleaned


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("café", unicodedata.normalize("NFC", "café")),
    ("who\tis\n\njane  \r\n doe", "who is jane doe"),
    ("who is ja\u200bne\u200d\u2060 \ufeffdoe", "who is jane doe"),
    ("\u202ewho is jane\u202c", "who is jane"),
    ("who\x00 is\x07 jane\x1b[31m", "who is jane[31m"),
    ("\ud800who is jane\udfff", "who is jane"),
    ("jane\u00a0doe\u3000x\u2028y", "jane doe x y"),
])
def test_clean_text(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned
    assert slack_text(raw) == teams_text(raw) == cleaned  # the front ends' cleaners end the same way


def test_clean_text_is_nfc() -> None:
    decomposed = "Jose\u0301 Mu\u0303oz"
    assert clean_text(decomposed) == "José Mũoz"
    assert parse(f"who is {decomposed}?").query == "José Mũoz"


def test_clean_text_tolerates_non_strings() -> None:
    assert clean_text(None) == ""  # type: ignore[arg-type]
    assert slack_text(None) == teams_text(None) == ""  # type: ignore[arg-type]
    assert parse(b"who is jane").name is UNKNOWN  # type: ignore[arg-type]


def test_long_messages_are_truncated() -> None:
    intent = parse("who is " + "a" * 5000)
    assert intent.name is WHO
    assert len(intent.text) == MAX_MESSAGE_CHARS
    assert intent.query == "a" * (MAX_MESSAGE_CHARS - len("who is "))


def test_text_after_the_limit_is_ignored() -> None:
    assert parse(" " * MAX_MESSAGE_CHARS + "who is jane").name is UNKNOWN
    assert parse("x" * MAX_MESSAGE_CHARS + "help").text == "x" * MAX_MESSAGE_CHARS


HOSTILE = [
    "\x00" * 5000,
    "".join(chr(c) for c in range(0, 0x20)) * 100,
    "who is " + "\u0301" * 5000,
    "😀" * 5000 + "?",
    "👩‍👩‍👧‍👦 who is 🧑🏽‍💻?",
    "מי זה ג'יין דו?",
    "\u202e\u202dwho is \u2067jane\u2069",
    "\u200b" * 3000 + "help",
    "<!channel>" * 500,
    "<<<@U1|<@U2|<mailto:a@b.c|<https://x|y>>>>>",
    "<" * 5000 + ">" * 5000,
    "<@U1|" * 2000,
    "&amp;" * 2000 + "&lt;&gt;" * 500,
    "'; DROP TABLE candidates; -- ?",
    "1' OR '1'='1",
    "Robert'); DROP TABLE Students;--",
    "schedule " + "next week " * 600,
    "book " + "1h 30m " * 600,
    "who is " + "jane's " * 800 + "status",
    "please, " * 800 + "who is jane",
    " ," * 3000,
    "a@" * 3000 + "b.com",
    "schedule " + "9" * 3000 + " minutes",
    "book " + "1." * 1500 + "5 hours",
    "\ud800\udc00\udbff" * 1000,
    "\U000e0001\U000e0041" * 1000 + "hi",
    "?" * 5000,
    "hi " * 2000 + "?",
    "${jndi:ldap://x}",
    "{{7*7}} <script>alert(1)</script>",
    "%s%s%s%n",
    "\\x00\\u0000",
]


@pytest.mark.parametrize("raw", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_input_never_breaks_parsing(raw: str) -> None:
    for intent in (parse(raw), parse(slack_text(raw)), parse(teams_text(raw))):
        assert isinstance(intent, Intent)
        assert len(intent.text) <= MAX_MESSAGE_CHARS
        intent.text.encode("utf-8")
        if intent.query is not None:
            intent.query.encode("utf-8")


def test_huge_and_adversarial_messages_are_truncated_before_parsing() -> None:
    # Truncation first is what keeps these linear; a regex that backtracked on them would hang here.
    messages = [*HOSTILE, "a" * 100_000, "who is " + "a " * 50_000, "<" * 100_000,
                "schedule " + "1 " * 50_000]
    for raw in messages:
        assert len(parse(raw).text) <= MAX_MESSAGE_CHARS
        assert len(slack_text(raw)) <= MAX_MESSAGE_CHARS and len(teams_text(raw)) <= MAX_MESSAGE_CHARS


def test_random_input_never_breaks_parsing() -> None:
    rng = random.Random(20240601)
    pieces = [*"abc jJ@.<>|!#&;:'\"?,-_*`~", "\u200b", "\u202e", "\x00", "\n", "😀", "é", "\ud800", "who is ",
              "schedule ", "book ", "<@U1>", "<@U2|x>", "<!here>", "<mailto:", "&amp;", "next week ",
              "45 min ",
              "'s ", "please ", "hirebot ", "<at>", "</at>"]
    for _ in range(400):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 120)))
        for intent in (parse(raw), parse(slack_text(raw)), parse(teams_text(raw))):
            text = intent.text
            assert text == text.strip() and "  " not in text and len(text) <= MAX_MESSAGE_CHARS
            assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text)


@pytest.mark.parametrize(("raw", "query"), [
    ("Jane", "Jane"), ('"Jane Doe"', "Jane Doe"), ("jane's", "jane"), ("Jane Doe's application", "Jane Doe"),
    ("the candidate jane", "jane"), ("someone named Jane", "Jane"), ("@jane", "jane"), ("'?'", None),
    ("jane's manager", "jane's manager"), ("o'brien@example.com", "o'brien@example.com"), (None, None),
])
def test_clean_query(raw: str | None, query: str | None) -> None:
    assert clean_query(raw) == query


def test_intent_is_a_frozen_value() -> None:
    intent = parse("who is jane")
    assert intent == Intent(WHO, query="jane", text="who is jane")
    with pytest.raises(dataclasses.FrozenInstanceError):
        intent.query = "bob"  # type: ignore[misc]


def test_rule_table_covers_every_intent_once_per_label() -> None:
    labels = [rule.label for rule in RULES]
    assert len(labels) == len(set(labels))
    assert {rule.name for rule in RULES} == set(IntentName) - {IntentName.UNKNOWN}


@pytest.mark.parametrize(("text", "email", "name"), [
    ("schedule with Jane Doe jane@example.com", "jane@example.com", "Jane Doe"),
    ("schedule with Jane Doe <mailto:Jane@Example.com|Jane@Example.com>", "jane@example.com", "Jane Doe"),
    ("schedule with Jane Doe (jane@example.com) next week", "jane@example.com", "Jane Doe"),
    ("schedule with jane@example.com", "jane@example.com", None),
])
def test_schedule_with_a_name_and_an_email_looks_up_the_email_and_keeps_the_name(
        text: str, email: str, name: str | None) -> None:
    intent = from_chat(text)
    assert intent.name is IntentName.SCHEDULE
    assert intent.query is not None and intent.query.lower() == email
    assert intent.entities.get("email") == email and intent.entities.get("name") == name


def test_a_rule_gate_never_hides_a_message_its_pattern_matches() -> None:
    """Gates only save compiling: on every message in this file, each gated rule's pattern matches only where
    its gate lets the message through."""
    from bot.intents.normalize import Utterance

    messages = [case[0] for case in PARSE_CASES] + [case[0] for case in SETTINGS_CASES] + HOSTILE
    gated = [rule for rule in RULES if rule.gate is not None]
    assert gated, "the settings rows are gated"
    matched = 0
    for message in messages:
        text = teams_text(message) if "<at>" in message else slack_text(message)
        body = Utterance.from_text(clean_text(text)).body
        for rule in gated:
            if rule.pattern.fullmatch(body) is not None:
                matched += 1
                assert rule.match(body) is not None, (rule.label, message)
            elif rule.match(body) is not None:
                pytest.fail(f"{rule.label}: gated match without a pattern match on {message!r}")
    assert matched >= len(SETTINGS_CASES)
