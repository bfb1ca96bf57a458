"""The settings rows of the intent table ("brief me 30 minutes before", "my time zone is Europe/Berlin")
and the parsers for their values (amounts of time, clock hours, follow-up delays)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from zoneinfo import available_timezones

from bot.intents.entities import DURATION, duration_minutes
from bot.intents.grammar import IntentRule, plain_intent, request_pattern
from bot.intents.model import Intent, IntentName
from bot.intents.normalize import Utterance

_SET = r"(?P<verb>(?:set|change|make|update|switch|move|put|adjust|edit|configure)\s+)"
_MY = r"(?:(?:my|the|our)\s+)"
_IS = r"(?:\s*[:=]\s*|\s+(?:(?:is|are|to|as|should\s+be|will\s+be)\s+)?)"
_BRIEFING = (r"(?:(?:pre-?meeting|meeting|interview)\s+)?briefings?(?:\s+(?:dms?|messages?|notes?))?"
             r"(?:\s+(?:lead(?:\s+time)?|time|timing))?")
_BEFORE = (r"(?P<before>\s+(?:before|ahead(?:\s+of)?|prior\s+to|earlier|early|in\s+advance)"
           r"(?:\s+(?:of\s+)?(?:(?:each|every|all|any|my|the|a|an|our)\s+)?"
           r"(?:meetings?|interviews?|calls?|one|it|them|start|time)(?:\s+starts?)?)?)")
_DIGEST = (r"(?:(?:my|the|a|an|our)\s+)?(?:(?:morning|daily)\s+(?:digest|summary|agenda|overview|briefing)|digest)s?"
           r"(?:\s+(?:dms?|messages?|emails?))?")
_DIGEST_AT = r"(?:\s+(?P<at_word>at|around|for)\s+(?P<at>.+?))?(?:\s+(?:every|each)\s+(?:morning|day|weekday))?"
_FEED_NOUN = (r"(?:(?:private|secret|google|outlook|icloud|apple|work|busy)\s+)*"
              r"(?:(?:calendar|cal)\s+(?:feed|link|url|address)|(?:ics|ical|icalendar)(?:\s+(?:calendar|feed|link|url))*"
              r"|(?:calendar\s+)?feed)")
_FEED_ANY = rf"(?:{_FEED_NOUN}|calendar)"
_DEFAULT = r"default\s+(?:(?:meeting|interview|call)\s+)?"
_LOCATION = r"(?:location|place|room|venue|(?:video\s+|zoom\s+|meeting\s+)?link|where)"
_REMINDER = (r"(?:(?:candidates?'?s?|day-?of|same-?day)\s+)+reminders?(?:\s+(?:emails?|hour|time))?"
             r"(?:\s+(?:for|to)\s+candidates)?")
_FOLLOWUPS = r"follow[\s-]?ups?(?:\s+emails?)?"
_NO_LOCATION = frozenset({"none", "nothing", "no location", "not set", "empty", "nowhere", "blank"})
_AMOUNT = re.compile(r"(?P<number>\d{1,6}(?:\.\d{1,2})?)\s*(?:(?P<unit>m|mins?|minutes?|h|hrs?|hours?|d|days?)\b)?",
                     re.IGNORECASE)
_AMOUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "fifteen": 15,
                 "twenty": 20, "thirty": 30, "forty five": 45, "forty-five": 45, "sixty": 60, "ninety": 90}
_WORD_AMOUNT = re.compile(rf"(?P<word>{'|'.join(sorted(_AMOUNT_WORDS, key=len, reverse=True))})\s+"
                          r"(?P<unit>minutes?|mins?|hours?|days?)", re.IGNORECASE)
_CLOCK_HOUR = re.compile(
    r"(?:(?:at|around|by)\s+)?(?:(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?:\s*(?P<half>[ap])(?:\.?m)?\.?)?"
    r"|(?P<noon>noon|midday)|(?P<midnight>midnight))"
    r"(?:\s+(?:o'?clock|sharp|local(?:\s+time)?|(?:their|my|local|the\s+candidate'?s?)\s+time|in\s+the\s+morning"
    r"|on\s+the\s+day|that\s+(?:day|morning)|(?:every|each)\s+(?:day|morning|weekday)))*",
    re.IGNORECASE,
)
_DELAY = re.compile(r"\b(?P<number>\d{1,3}(?:\.\d{1,2})?|(?:an?|one|two|three|four|five|six|seven|half\s+a)\b)"
                    r"(?:\s*(?P<unit>d|days?|h|hrs?|hours?|w|weeks?)\b)?", re.IGNORECASE)
_DELAY_JOINERS = re.compile(r"(?:[\s,;&+/]|\b(?:and|then|after|another|later|at|of)\b)*", re.IGNORECASE)
_DELAY_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
                "seven": 7.0, "half a": 0.5}
_NO_DELAYS = frozenset({"none", "never", "off", "nothing", "no follow-ups", "no followups"})


def _setting(utterance: Utterance, setting: str, **values: str | int) -> Intent:
    return Intent(IntentName.CHANGE_SETTING, entities={"setting": setting, **values}, text=utterance.text)


def _value(match: re.Match[str], name: str) -> str:
    """The group `name` of whichever alternative matched (the second one's is `name` + "2")."""
    groups = match.groupdict()
    return groups.get(name) or groups.get(f"{name}2") or ""


def _explicit(match: re.Match[str]) -> bool:
    """Whether the message says outright that it sets something ("set ...", "... at ...", "... before")."""
    groups = match.groupdict()
    return any(groups.get(name) for name in ("verb", "at_word", "before"))


def minutes_in(text: str) -> int | None:
    """Minutes in '30 minutes', '1 hour', 'an hour and a half', '1h 30m', '90', 'a day'; None if unreadable."""
    typed = " ".join(text.lower().split()).strip(" .,")
    typed = re.sub(r"\A(?:about|around|roughly|exactly|some)\s+", "", typed)
    if (plain := _AMOUNT.fullmatch(typed)) is not None:
        return round(float(plain.group("number")) * _unit_minutes(plain.group("unit") or "m"))
    if (worded := _WORD_AMOUNT.fullmatch(typed)) is not None:
        return _AMOUNT_WORDS[worded.group("word")] * _unit_minutes(worded.group("unit"))
    if (duration := DURATION.fullmatch(typed)) is not None:
        return duration_minutes(duration)
    return None


def _unit_minutes(unit: str) -> int:
    return 1440 if unit.startswith("d") else 60 if unit.startswith("h") else 1


def clock_hour(text: str) -> int | None:
    """The whole hour in '8am', '8', '07:00', 'at 9 pm', 'noon'; None for anything else (including 8:30)."""
    match = _CLOCK_HOUR.fullmatch(" ".join(text.lower().split()).strip(" .,"))
    if match is None:
        return None
    if match.group("noon"):
        return 12
    if match.group("midnight"):
        return 0
    hour, minute, half = int(match.group("h")), int(match.group("m") or 0), match.group("half")
    if minute:
        return None
    if half:
        if not 1 <= hour <= 12:
            return None
        return hour % 12 + (12 if half == "p" else 0)
    return hour


def followup_days(text: str) -> str | None:
    """'1 and 3 days' → '1,3'; '12 hours, 2 days' → '0.5,2'; 'none' → ''; None when unreadable. A number
    without a unit takes the next one's ('1 and 3 days'), or days."""
    typed = " ".join(text.lower().split()).strip(" .,")
    typed = re.sub(r"\A(?:after|at|to)\s+", "", typed)
    if typed in _NO_DELAYS:
        return ""
    numbers: list[tuple[float, str | None]] = []
    position = 0
    for match in _DELAY.finditer(typed):
        if _DELAY_JOINERS.fullmatch(typed[position:match.start()]) is None:
            return None
        position = match.end()
        word = match.group("number")
        numbers.append((_DELAY_WORDS[word] if word in _DELAY_WORDS else float(word), match.group("unit")))
    if not numbers or _DELAY_JOINERS.fullmatch(typed[position:]) is None:
        return None
    days, unit = [], "d"
    for number, given in reversed(numbers):
        unit = (given or unit)[0]
        days.append(number / 24 if unit == "h" else number * 7 if unit == "w" else number)
    return ",".join(f"{d:g}" for d in sorted(days))


def _briefing_lead(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    minutes = minutes_in(match.group("amount"))
    if minutes is not None:
        return _setting(utterance, "briefing_lead_minutes", minutes=minutes)
    return _setting(utterance, "briefing_lead_minutes", raw=match.group("amount")) if _explicit(match) else None


def _digest_on(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    if not match.group("at"):
        return _setting(utterance, "morning_digest", enabled=1)
    hour = clock_hour(match.group("at"))
    if hour is None:
        return _setting(utterance, "morning_digest", enabled=1, raw=match.group("at"))
    return _setting(utterance, "morning_digest", enabled=1, hour=hour)


def _digest_off(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    return _setting(utterance, "morning_digest", enabled=0)


def _digest_hour(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    hour = clock_hour(match.group("at"))
    if hour is not None:
        return _setting(utterance, "morning_digest", enabled=1, hour=hour)
    return _setting(utterance, "morning_digest", enabled=1, raw=match.group("at")) if _explicit(match) else None


def _working_hours(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    return _setting(utterance, "working_days", hours=match.group("hours"))


def _timezone(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    return _setting(utterance, "timezone", zone=match.group("zone"))


def _timezone_if_zone(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    """'I'm in Europe/Berlin' sets the zone; 'I'm in a meeting' is not about zones at all."""
    return _timezone(name, match, utterance) if _looks_like_zone(match.group("zone")) else None


@cache
def _zone_words() -> frozenset[str]:
    """Every zone name and its city part, lowercased, as people type them ('europe/berlin', 'new york')."""
    words = {"utc", "gmt"}
    for zone in available_timezones():
        words.add(zone.lower())
        words.add(zone.rsplit("/", 1)[-1].replace("_", " ").lower())
    return frozenset(words)


def _looks_like_zone(text: str) -> bool:
    typed = " ".join(text.split()).lower()
    return "/" in typed or typed in _zone_words() or typed.replace(" ", "_") in _zone_words()


def _feed(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    url = _value(match, "url").strip("<>()[]\"'")
    if "://" not in url and not ("." in url and "/" in url):
        return None  # "my calendar today" is not a link
    return _setting(utterance, "ics_feed_url", url=url)


def _feed_remove(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    return _setting(utterance, "ics_feed_url", remove=1)


def _default_duration(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    amount = _value(match, "amount")
    minutes = minutes_in(amount)
    if minutes is None:
        return _setting(utterance, "default_duration_minutes", raw=amount)
    return _setting(utterance, "default_duration_minutes", minutes=minutes)


def _default_location(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    location = _value(match, "location")
    if not location or location.strip(" .\"'").lower() in _NO_LOCATION:
        return _setting(utterance, "default_location", remove=1)
    return _setting(utterance, "default_location", location=location.strip())


def _reminder_hour(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    hour = clock_hour(match.group("at"))
    if hour is not None:
        return _setting(utterance, "dayof_reminder_hour", hour=hour)
    return _setting(utterance, "dayof_reminder_hour", raw=match.group("at")) if _explicit(match) else None


def _followups(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    delays = match.group("delays")
    days = followup_days(delays)
    if days is not None:
        return _setting(utterance, "followup_delays_days", days=days)
    explicit = _explicit(match) or delays.lower().startswith("after ")
    return _setting(utterance, "followup_delays_days", raw=delays) if explicit else None


def _min_notice(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    amount = _value(match, "amount")
    minutes = minutes_in(amount)
    scope: dict[str, str | int] = {"scope": "workspace"} if match.group("ws") or match.group("ws2") else {}
    if minutes is None:
        return _setting(utterance, "min_notice_minutes", raw=amount, **scope)
    return _setting(utterance, "min_notice_minutes", minutes=minutes, **scope)


def _followups_off(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    return _setting(utterance, "followup_delays_days", days="")


# Text that every settings row needs somewhere (its own words: "settings", "zone", "brief", "digest", "cal",
# "follow", "notice", "in"/"to" of "I'm in X", ...), so a message without any, like "who is Jane Doe",
# skips the rows without compiling them. Substrings, so "timezone" and "iCal" count; when a row gains a
# word, add it here (tests/test_intents.py checks the table against the ungated patterns).
SETTINGS_GATE = re.compile(
    r"setting|pref|config|zone|tz|hours|default|brief|digest|summary|agenda|overview|feed|ics|cal|follow|work"
    r"|length|duration|remind|candidates|notice|\b(?:in|to)\b", re.IGNORECASE)

_SETTINGS_ROWS: tuple[IntentRule, ...] = (
    IntentRule("my settings", IntentName.MY_SETTINGS, request_pattern(
        r"(?:(?:show|list|see|view|display|check|open|get|give)\s+(?:me\s+)?|what\s+are\s+|what(?:'s|s|\s+is)\s+"
        r"|how\s+(?:do|can)\s+i\s+(?:change|edit|update|set)\s+|(?:change|edit|update)\s+)?(?:all\s+)?"
        r"(?:(?:my|the|our)\s+)?(?:(?:scheduling|personal|user|hirebot|bot|meeting)\s+)?"
        r"(?:settings|preferences|prefs|config(?:uration)?)"
        r"|(?:what(?:'s|s|\s+is|\s+are)|(?:how\s+(?:do|can)\s+i\s+)?(?:change|edit|update|set))\s+my\s+(?:time\s*-?\s*zone|tz|(?:working|work|office)\s+hours"
        rf"|{_DEFAULT}(?:length|duration|{_LOCATION})|{_BRIEFING}|{_FEED_NOUN}|(?:morning\s+)?digest|{_FOLLOWUPS})"
        r"|(?:(?:my|our)\s+)?(?:working|work|office)\s+hours"), plain_intent),
    IntentRule("brief me", IntentName.CHANGE_SETTING, request_pattern(rf"brief\s+me\s+(?P<amount>.+?){_BEFORE}?"),
               _briefing_lead),
    IntentRule("briefing lead", IntentName.CHANGE_SETTING, request_pattern(
        rf"{_SET}?{_MY}?{_BRIEFING}{_IS}(?P<amount>.+?){_BEFORE}?"), _briefing_lead),
    IntentRule("send me briefings", IntentName.CHANGE_SETTING, request_pattern(
        rf"(?:send|give)\s+me\s+{_MY}?{_BRIEFING}\s+(?P<amount>.+?){_BEFORE}"), _briefing_lead),
    IntentRule("digest on", IntentName.CHANGE_SETTING, request_pattern(
        rf"(?:(?:turn|switch|flip)\s+on\s+{_DIGEST}|(?:turn|switch|flip)\s+{_DIGEST}\s+on"
        rf"|(?:enable|start|activate|resume|subscribe\s+(?:me\s+)?to)\s+{_DIGEST}|{_DIGEST}\s+on"
        rf"|(?:send|give)\s+me\s+{_DIGEST}|i\s+(?:want|would\s+like|'d\s+like)\s+{_DIGEST}){_DIGEST_AT}"),
        _digest_on),
    IntentRule("digest off", IntentName.CHANGE_SETTING, request_pattern(
        rf"(?:turn|switch)\s+off\s+{_DIGEST}|(?:turn|switch)\s+{_DIGEST}\s+off"
        rf"|(?:disable|stop|cancel|pause|end|mute|remove|unsubscribe\s+(?:me\s+)?from)\s+(?:sending\s+(?:me\s+)?)?"
        rf"{_DIGEST}|{_DIGEST}\s+off|no\s+(?:more\s+)?{_DIGEST}"
        rf"|i\s+(?:don'?t|do\s+not)\s+(?:want|need)\s+(?:any\s+)?{_DIGEST}(?:\s+any\s*more)?"), _digest_off),
    IntentRule("digest hour", IntentName.CHANGE_SETTING, request_pattern(
        rf"{_SET}?{_DIGEST}(?:\s*[:=]\s*|\s+(?P<at_word>at|to|for|around)\s+|\s+)(?P<at>.+?)"), _digest_hour),
    IntentRule("working hours", IntentName.CHANGE_SETTING, request_pattern(
        rf"{_SET}?{_MY}?(?:working|work|office|business)\s+hours{_IS}(?P<hours>.+?)"), _working_hours),
    IntentRule("I work", IntentName.CHANGE_SETTING, request_pattern(
        r"i\s+(?:usually\s+|normally\s+)?work\s+(?P<hours>(?:(?:from|between|on)\s+)?"
        r"(?:\d|mon|tue|wed|thu|fri|sat|sun|weekdays|every|daily).*?)"), _working_hours),
    IntentRule("time zone", IntentName.CHANGE_SETTING, request_pattern(
        rf"{_SET}?{_MY}?(?:time\s*-?\s*zone|tz){_IS}(?P<zone>.+?)"), _timezone),
    IntentRule("I'm in", IntentName.CHANGE_SETTING, request_pattern(
        r"(?:i'?m|i\s+am|i\s+live|i\s+work|we'?re|we\s+are|i'?ve\s+moved|i\s+moved)\s+"
        r"(?:(?:now|currently|based|located|living|working|usually)\s+)*(?:in|to)\s+(?P<zone>.+?)"
        r"(?:\s+(?:time(?:\s*-?\s*zone)?|tz))?"), _timezone_if_zone),
    IntentRule("calendar feed", IntentName.CHANGE_SETTING, request_pattern(
        rf"(?:(?:set|change|update|use|add|connect|save|link)\s+)?{_MY}?{_FEED_ANY}"
        r"(?:\s*[:=]\s*|\s+(?:(?:is|to|as|at|should\s+be|will\s+be)\s+)?)(?P<url>\S+)"
        rf"|(?:use|add|connect|save|link)\s+(?P<url2>\S+)\s+(?:as|for)\s+{_MY}?{_FEED_ANY}"), _feed),
    IntentRule("here is my feed", IntentName.CHANGE_SETTING, request_pattern(
        rf"here(?:'s|s|\s+is)\s+{_MY}?{_FEED_ANY}\s*:?\s*(?P<url>\S+)"), _feed),
    IntentRule("remove feed", IntentName.CHANGE_SETTING, request_pattern(
        r"(?:remove|delete|clear|forget|disconnect|unlink|drop|erase|reset|unset|turn\s+off|disable|stop\s+using)"
        rf"\s+{_MY}?{_FEED_NOUN}|no\s+(?:more\s+)?{_FEED_NOUN}|{_MY}?{_FEED_NOUN}\s*(?:[:=]\s*|\s+(?:is\s+)?)"
        r"(?:off|none|nothing)"), _feed_remove),
    IntentRule("default length", IntentName.CHANGE_SETTING, request_pattern(
        rf"{_SET}?{_MY}?(?:{_DEFAULT}(?:length|duration|time)|(?:meeting|interview|call)\s+(?:length|duration)"
        rf"(?:\s+by\s+default)?){_IS}(?:of\s+)?(?P<amount>.+?)"
        rf"|(?:make\s+)?(?:(?:my|all|our)\s+)?(?:meetings|interviews|calls)\s+(?:are\s+|should\s+be\s+|last\s+)?"
        r"(?P<amount2>.+?)(?:\s+long)?\s+by\s+default"), _default_duration),
    IntentRule("default location", IntentName.CHANGE_SETTING, request_pattern(
        rf"{_SET}?{_MY}?{_DEFAULT}{_LOCATION}{_IS}(?P<location>.+?)"
        rf"|use\s+(?P<location2>.+?)\s+as\s+{_MY}?{_DEFAULT}{_LOCATION}"), _default_location),
    IntentRule("remove default location", IntentName.CHANGE_SETTING, request_pattern(
        rf"(?:remove|delete|clear|forget|unset|reset|drop)\s+{_MY}?{_DEFAULT}{_LOCATION}|no\s+{_DEFAULT}{_LOCATION}"),
        _default_location),
    IntentRule("candidate reminder", IntentName.CHANGE_SETTING, request_pattern(
        rf"(?:{_SET}|send\s+)?{_MY}?{_REMINDER}"
        r"(?:\s*[:=]\s*|\s+(?P<at_word>is|to|at|around|should\s+be|go(?:es)?\s+out\s+at)\s+|\s+)(?P<at>.+?)"),
        _reminder_hour),
    IntentRule("remind candidates", IntentName.CHANGE_SETTING, request_pattern(
        r"(?:remind|send)\s+(?:the\s+|my\s+|all\s+)?candidates(?:\s+(?:their|the|a)\s+(?:(?:day-?of|same-?day)\s+)?"
        r"reminders?(?:\s+emails?)?)?\s+(?P<at_word>at|around)\s+(?P<at>.+?)"), _reminder_hour),
    IntentRule("follow-ups", IntentName.CHANGE_SETTING, request_pattern(
        rf"(?:{_SET}|send\s+)?{_MY}?{_FOLLOWUPS}(?:\s+(?:delays?|timing|schedule))?"
        r"(?:\s*[:=]\s*|\s+(?P<at_word>to|are|is|should\s+be|go\s+out)\s+|\s+)(?P<delays>.+?)"
        r"(?:\s+(?:later|after\s+(?:the\s+)?request|without\s+(?:an\s+)?(?:answer|reply)))?"), _followups),
    IntentRule("minimum notice", IntentName.CHANGE_SETTING, request_pattern(
        rf"{_SET}?(?P<ws>(?:the\s+|our\s+)?(?:workspace|team|company)(?:'s)?\s+)?{_MY}?(?:min(?:imum)?\s+)?"
        r"(?:booking\s+)?notice(?:\s+(?:period|time))?(?:\s+for\s+(?:(?P<ws2>everyone|all|the\s+(?:workspace|team))"
        rf"|candidates))?{_IS}(?:of\s+)?(?:at\s+least\s+)?(?P<amount>.+?)"
        r"|give\s+(?:the\s+)?candidates\s+(?:at\s+least\s+)?(?P<amount2>.+?)['\u2019]?\s+(?:of\s+)?notice"),
        _min_notice),
    IntentRule("follow up after", IntentName.CHANGE_SETTING, request_pattern(
        r"follow[\s-]?up(?:\s+with\s+(?:candidates|them))?\s+(?P<delays>after\s+.+?)"
        r"(?:\s+(?:later|without\s+(?:an\s+)?(?:answer|reply)))?"), _followups),
    IntentRule("follow-ups off", IntentName.CHANGE_SETTING, request_pattern(
        r"(?:turn\s+off|disable|stop|skip|cancel|no(?:\s+more)?|don'?t\s+send(?:\s+any)?|never\s+send)\s+"
        rf"(?:the\s+|any\s+)?{_FOLLOWUPS}|don'?t\s+follow[\s-]?up(?:\s+with\s+(?:candidates|them))?"
        rf"|{_MY}?{_FOLLOWUPS}\s+off"), _followups_off),
)
SETTINGS_RULES: tuple[IntentRule, ...] = tuple(replace(rule, gate=SETTINGS_GATE) for rule in _SETTINGS_ROWS)
