"""Turn one chat message into an intent the core can answer: what the asker wants, and about whom.

Messages arrive from Slack (with its markup), Teams (with `<at>` mentions) and the console, and some are
hostile (control characters, huge pastes). `clean_text` turns any of them into short plain text;
`parse` matches that text against one ordered table of rules, so adding an intent is adding one entry.

Choices worth knowing:
- "hi jane?" is a lookup of "jane": a greeting followed by a name and a question mark is almost always a
  question about that person, and the bot has nothing else to say about a name. "hi jane" (no "?") is
  unknown, because nothing asks a question.
- A bare name is a lookup only with a "?" ("Jane Doe?"); a bare email address is a lookup with or without.
- The bot's own name ("hirebot", "@hirebot") is dropped at either end; on its own it is a greeting.
- "who is" with nothing after it (say, a Slack mention without a label) is who_is with no query, so the
  handler can ask whom to look up; "who is it" and "show me" are unknown.
- Reschedule, cancel, refresh, open jobs, my meetings and "what did you log" are claimed by table entries
  that answer unknown until their handlers exist, so they are never mistaken for schedule or who is.
- `when` keeps the time words as written (lowercased), including prepositions that carry meaning
  ("on 2026-12-01", "by friday", "in 2 days"); only a joining "for" is dropped ("for tomorrow").
- Settings ("my settings", "brief me 30 minutes before meetings", "my time zone is Europe/Berlin") come
  before every other request rule: each needs a settings word (briefing, digest, time zone, working hours,
  calendar feed, default length/location, candidate reminder, follow-ups), so "update Jane" stays a refresh
  and "what's on my calendar today" stays my meetings. A change whose value can't be read still is that
  change (with `raw`), so the handler can say how to write it; without an explicit "set"/"to"/"at" the
  message falls through instead ("briefings for Jane" is not a settings change). "I'm in X" is a time zone
  only when X looks like one ("Europe/Berlin", "UTC", "Berlin"), never "I'm in a meeting".
- A LinkedIn profile link in a schedule request becomes `linkedin_url`, normalized to
  `https://www.linkedin.com/in/<slug>` (query, fragment and sub-pages dropped; old `/pub/` links keep their
  path under `https://www.linkedin.com/pub/`), and is taken out before the person is read. A Slack link
  shows its address instead of its label when the label is that address (or the target is a LinkedIn
  profile), so the address reaches the rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from zoneinfo import available_timezones

MAX_MESSAGE_CHARS = 2000
"""Longer input is cut before any parsing, so every step below works on bounded text."""


class IntentName(StrEnum):
    WHO_IS = "who_is"
    SCHEDULE = "schedule"
    HELP = "help"
    GREETING = "greeting"
    THANKS = "thanks"
    REFRESH = "refresh"
    JOBS = "jobs"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    MY_MEETINGS = "my_meetings"
    WHY_NO_REMINDER = "why_no_reminder"
    WHAT_LOGGED = "what_logged"
    MY_SETTINGS = "my_settings"
    CHANGE_SETTING = "change_setting"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Intent:
    name: IntentName
    query: str | None = None
    """The person the message is about (a name or an email), cleaned of quotes, politeness and possessives."""
    entities: Mapping[str, str | int] = field(default_factory=dict)
    """Extra details: duration_minutes (int), when (str), email (str, lowercased), linkedin_url (str), provider
    (str, for jobs). A settings change has `setting` (the SchedulingSettings field) and one of: minutes (int),
    hour (int), enabled (1/0), hours (working hours text), zone, url, location, days ("1,3"; "" for none),
    remove (1), or raw (the value as typed, when it could not be read)."""
    text: str = ""
    """The cleaned message text (see clean_text)."""


# -- cleaning ---------------------------------------------------------------------------------------------

_EDGE_SEPARATORS = r"[\s,:;.!\-–—]*"
_LEADING_SLACK_MENTION = re.compile(r"\A\s*<@[A-Za-z0-9]+(?:\|[^<>]*)?>" + _EDGE_SEPARATORS)
_LEADING_TEAMS_MENTION = re.compile(r"\A\s*<at(?:\s[^<>]*)?>[^<>]*</at>" + _EDGE_SEPARATORS, re.IGNORECASE)
_TEAMS_MENTION = re.compile(r"<at(?:\s[^<>]*)?>([^<>]*)</at>", re.IGNORECASE)
# Teams sometimes wraps text in simple HTML; these tags only ever separate words.
_HTML_TAG = re.compile(r"</?(?:p|div|span|br|b|i|strong|em|u|s)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
_SLACK_BROADCASTS = frozenset({"channel", "here", "everyone"})
_HTML_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&apos;": "'",
                  "&nbsp;": " "}
_HTML_ENTITY = re.compile("|".join(re.escape(name) for name in _HTML_ENTITIES), re.IGNORECASE)


def clean_text(raw: str) -> str:
    """Plain, single-spaced text from a raw chat message: Slack/Teams markup rendered, invisible characters
    removed, at most MAX_MESSAGE_CHARS long. Never raises."""
    if not isinstance(raw, str):
        return ""
    text = unicodedata.normalize("NFC", _visible(raw[:MAX_MESSAGE_CHARS]))
    text = _LEADING_SLACK_MENTION.sub("", text, count=1)
    text = _LEADING_TEAMS_MENTION.sub("", text, count=1)
    text = _TEAMS_MENTION.sub(lambda m: "@" + m.group(1).strip() if m.group(1).strip() else "", text)
    text = _HTML_TAG.sub(" ", text)
    text = _SLACK_TOKEN.sub(_render_slack_token, text)
    # Unescape last and in one pass, so "&lt;@U1&gt;" stays literal text and "&amp;lt;" becomes "&lt;".
    text = _HTML_ENTITY.sub(lambda m: _HTML_ENTITIES[m.group(0).lower()], text)
    return " ".join(text.split())[:MAX_MESSAGE_CHARS]


def _visible(text: str) -> str:
    """Whitespace of any kind becomes a space; control, format (zero-width, bidi) and lone surrogate
    characters go: they are invisible, break matching, and some cannot even be encoded."""
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf", "Cs"):
            kept.append(ch)
    return "".join(kept)


def _render_slack_token(match: re.Match[str]) -> str:
    body = match.group(1)
    target, _, label = body.partition("|")
    label = label.strip()
    if target.startswith("@"):
        return f"@{label.lstrip('@')}" if label else ""
    if target.startswith("#"):
        return f"#{label.lstrip('#')}" if label else ""
    if target.startswith("!"):
        keyword = target[1:].split("^", 1)[0].lower()
        return "" if keyword in _SLACK_BROADCASTS else label
    if target.lower().startswith("mailto:"):
        return target[len("mailto:"):]
    if not label or _same_address(label, target) or _LINKEDIN.fullmatch(target):
        return target  # the label only shows this address (or a LinkedIn profile's, which is the data)
    return label


def _same_address(label: str, target: str) -> bool:
    """Slack labels a pasted link with the address as typed: 'linkedin.com/in/jane' for https://linkedin.com/in/jane."""
    def bare(url: str) -> str:
        return re.sub(r"\A[a-z][a-z0-9+.-]*://", "", url.strip().lower()).rstrip("/")
    return bare(label) == bare(target)


# -- the utterance the rules read -------------------------------------------------------------------------

_SMART_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "ʼ": "'", "′": "'", "´": "'",
                               "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"'})
_BOT_NAME = r"@?hire\s?bot"
_LEADING_BOT_NAME = re.compile(rf"\A{_BOT_NAME}\b{_EDGE_SEPARATORS}", re.IGNORECASE)
_TRAILING_BOT_NAME = re.compile(rf"[\s,]+{_BOT_NAME}\Z", re.IGNORECASE)
_COMMA_RUN = re.compile(r"\s*,[\s,]*")
_EDGE_PUNCTUATION = frozenset(".,!?;:…~-–—()[]{}*_|/\\¿¡؟？！。、")
_QUESTION_MARKS = frozenset("?؟？")


@dataclass(frozen=True)
class Utterance:
    """The cleaned text as the rules see it: quotes straightened, bot name and edge punctuation gone."""

    text: str
    body: str
    asked: bool
    addressed: bool

    @classmethod
    def from_text(cls, text: str) -> Utterance:
        body, asked = _trim(text.translate(_SMART_QUOTES))
        unaddressed = _TRAILING_BOT_NAME.sub("", _LEADING_BOT_NAME.sub("", body))
        addressed = unaddressed != body
        body, asked_after_name = _trim(unaddressed)
        return cls(text=text, body=_COMMA_RUN.sub(", ", body), asked=asked or asked_after_name,
                   addressed=addressed)


def _trim(text: str) -> tuple[str, bool]:
    """Text without junk at either end, and whether the trailing junk held a question mark."""
    end = len(text)
    while end and _is_edge_junk(text[end - 1]):
        end -= 1
    start = 0
    while start < end and _is_edge_junk(text[start]):
        start += 1
    return text[start:end], any(ch in _QUESTION_MARKS for ch in text[end:])


def _is_edge_junk(ch: str) -> bool:
    """Punctuation, emoji and emoji modifiers that carry no meaning at either end of a message."""
    return (ch.isspace() or ch in _EDGE_PUNCTUATION or ch in "\ufe0e\ufe0f"
            or unicodedata.category(ch) in ("So", "Sk"))


# -- the rule table ---------------------------------------------------------------------------------------

Builder = Callable[[IntentName, re.Match[str], Utterance], Intent | None]


@dataclass(frozen=True)
class IntentRule:
    """One row of the table: when `pattern` matches the whole utterance, `build` makes the intent (or
    returns None to let later rows try)."""

    label: str
    name: IntentName
    pattern: re.Pattern[str]
    build: Builder


_GREETING = (r"(?:hi+|hello+|hey+|heya|hiya|yo+|howdy|hallo|greetings"
             r"|good\s+(?:morning|afternoon|evening|day))")
_AUDIENCE = rf"(?:there|all|everyone|everybody|team|folks|friend|buddy|y'all|{_BOT_NAME})"
_LEAD = rf"(?:{_GREETING}\b(?:\s+{_AUDIENCE}\b)?[\s,!.:;~-]*)?"
_ASK = (r"(?:(?:(?:can|could|would|will)\s+(?:you|u)|please|pls|plz|kindly|just|quickly|go\s+ahead\s+and"
        r"|i(?:'d|\s+would)\s+like(?:\s+you)?\s+to|i\s+(?:want|need)(?:\s+you)?\s+to|help\s+me"
        r"|let(?:'s|s|\s+me|\s+us))[\s,]+)*")
_TAIL = r"(?:,?\s(?:please|pls|plz|thanks|thank\s+you|thx|for\s+me|asap))*"


def _whole(pattern: str) -> re.Pattern[str]:
    """A rule that must be the entire message (small talk)."""
    return re.compile(pattern, re.IGNORECASE)


def _request(pattern: str) -> re.Pattern[str]:
    """A rule for a request, which may be wrapped in a greeting and politeness ("hey, can you ... please")."""
    return re.compile(f"{_LEAD}{_ASK}(?:{pattern}){_TAIL}", re.IGNORECASE)


def _plain(name: IntentName, _match: re.Match[str], utterance: Utterance) -> Intent:
    return Intent(name, text=utterance.text)


# Words that end a "who is" query at "who is it" / "show me": pronouns, not people.
_PRONOUNS = frozenset({"me", "it", "this", "that", "them", "him", "her", "us", "he", "she", "they",
                       "everyone", "everybody", "anyone", "anybody", "someone", "somebody", "something",
                       "anything", "everything", "nothing", "myself", "there", "here"})
_BOT_ITSELF = frozenset({"you", "u", "yourself", "hirebot", "@hirebot", "hire bot"})


def _who_is(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    """A lookup of the matched target; a bare "who is" (say, after a dropped mention) asks the handler to
    ask back, and "who is it" is not a person."""
    if match.group("target") is None:
        return Intent(name, text=utterance.text)
    query = clean_query(match.group("target"))
    if query is None or query.lower() in _PRONOUNS:
        return None
    if query.lower() in _BOT_ITSELF:
        return Intent(IntentName.HELP, text=utterance.text)
    return Intent(name, query=query, entities=_email_entity(query), text=utterance.text)


# Question and function words: "what is the weather?" has the shape of a bare name but is not one.
_NOT_NAMES = frozenset((
    "a", "an", "the", "and", "or", "but", "not", "no", "nor", "yes", "yeah", "yep", "nope", "ok", "okay",
    "sure", "really", "seriously", "huh", "hm", "hmm", "hmmm", "lol", "wtf", "what", "who", "whom",
    "whose", "why", "when", "where", "which", "how", "is", "are", "was", "were", "be", "been", "am", "do",
    "does", "did", "done", "can", "could", "would", "should", "shall", "must", "might", "have", "has",
    "had", "i", "me", "my", "mine", "you", "your", "yours", "we", "our", "ours", "they", "their", "them",
    "he", "him", "his", "she", "her", "hers", "it", "its", "this", "that", "these", "those", "there",
    "here", "to", "of", "in", "on", "at", "for", "from", "with", "by", "about", "as", "into", "over",
    "under", "any", "some", "all", "every", "each", "anyone", "anybody", "someone", "somebody", "everyone",
    "anything", "something", "nothing", "everything", "hi", "hello", "hey", "yo", "thanks", "thank",
    "please", "help", "now", "today", "tomorrow", "tonight", "time", "weather", "again",
))
_NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['.\-])*")
_MAX_NAME_WORDS = 5


def _bare_name(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    """'Jane Doe?': a lookup only when asked, and only when it reads like a name."""
    if not utterance.asked:
        return None
    # Judge the words as typed (less wrapping quotes), so "'; DROP TABLE users; --?" is not a name.
    words = match.group("target").strip("\"'`*_~ ").replace(",", " ").split()
    if not 1 <= len(words) <= _MAX_NAME_WORDS:
        return None
    if not all(_NAME_WORD.fullmatch(w) and w.lower().strip(".'-") not in _NOT_NAMES for w in words):
        return None
    query = clean_query(match.group("target"))
    return Intent(name, query=query, text=utterance.text) if query else None


# -- schedule entities ------------------------------------------------------------------------------------

_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?"
         rf"|{_MONTH}\s+{_ORDINAL}(?!\d)(?:,?\s+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}"
         rf"(?:,?\s+\d{{4}})?)")
_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midday)"
_DAY_REF = (rf"(?:today|tonight|tomorrow|tmrw|(?:the\s+)?day\s+after\s+tomorrow"
            rf"|(?:(?:next|this|coming)\s+)?{_DAY}"
            rf"|{_DATE}|the\s+\d{{1,2}}(?:st|nd|rd|th))")
_PERIOD = (r"(?:later\s+today|later\s+this\s+week|early\s+next\s+week"
           r"|end\s+of\s+(?:the\s+|this\s+|next\s+)?week"
           r"|(?:this|next)\s+(?:week(?:end)?|month)|this\s+(?:morning|afternoon|evening))")
_COUNT = r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|a\s+couple(?:\s+of)?|a\s+few)"
_WHEN = re.compile(
    r"(?<![\w-])(?:(?:for|sometime|some\s+time)\s+)?(?P<when>"
    rf"between\s+(?:{_DAY_REF}|{_CLOCK})\s+(?:and|&|-)\s+(?:{_DAY_REF}|{_CLOCK})"
    rf"|from\s+(?:{_DAY_REF}|{_CLOCK})\s+(?:to|until|till|through|-)\s+(?:{_DAY_REF}|{_CLOCK})"
    rf"|in\s+{_COUNT}\s+(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"
    rf"|(?:(?:on|by|before|after|until|till)\s+)?(?:{_PERIOD}|{_DAY_REF})"
    rf"(?:\s+(?:morning|afternoon|evening|night))?(?:\s+(?:at\s+|around\s+)?{_CLOCK})?"
    rf"|(?:at|around)\s+{_CLOCK})(?![\w-])",
    re.IGNORECASE,
)
_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}
_DURATION = re.compile(
    r"(?<![\w.-])(?:for\s+)?(?:"
    r"(?P<hour_and_half>(?:an?|one)\s+hour\s+and\s+a\s+half)"
    r"|(?P<half_hour>half\s*(?:an?\s+|-\s*)?hour)"
    r"|(?P<quarter_hour>(?:a\s+)?quarter\s+(?:of\s+an\s+)?hour)"
    r"|(?P<hours>\d{1,2}(?:\.\d{1,2})?|an?|one|two|three|four)[\s-]*(?:hours?|hrs?|h)"
    r"(?:[\s-]*(?:and\s+)?(?P<extra_minutes>\d{1,2})(?:[\s-]*(?:minutes?|mins?|m))?)?"
    r"|(?P<minutes>\d{1,4})[\s-]*(?:minutes?|mins?|m)"
    r")(?![\w-])",
    re.IGNORECASE,
)
_MAX_DURATION_MINUTES = 24 * 60
_SCHEDULE_LEAD = re.compile(
    r"\A(?:(?:me|us|my|our|an?|the|some|quick|short|brief|new|first|second|third|final|next"
    r"|\d(?:st|nd|rd|th)|phone|video|zoom|teams|onsite|on-site|in-person|technical|tech|intro"
    r"|introductory|initial"
    r"|follow-?up|screening|panel|hiring|round)\s+)*"
    r"(?:(?:interview|call|meeting|chat|screen|screening|sync|session|slot|catch-?up|1:1|one-on-one|time)s?"
    r"(?:\s+|\Z))?"
    r"(?:(?:with|w/|for|to\s+meet(?:\s+with)?|to\s+(?:talk|speak|chat)\s+(?:to|with)|to\s+interview)"
    r"(?:\s+|\Z))?",
    re.IGNORECASE,
)
# What follows a name is context, not the name: "with Jane for the designer role".
_SCHEDULE_TRAIL = re.compile(r"\s+(?:for|about|regarding|re:?|at|in|on|to\s+discuss)(?:\s.*)?\Z",
                             re.IGNORECASE)


def _meeting_change(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    """'reschedule with Jane next week', 'cancel the interview with Jane': the person, plus new time words."""
    rest, when = _take_when(match.group("target"))
    rest = re.sub(r"\s+(?:to|until|till|for|on|at)$", "", rest.strip(), flags=re.IGNORECASE)
    query = clean_query(re.sub(r"^(?:the|my|our)\s+(?:interview|meeting|call)\s+(?:with|for)\s+", "", rest,
                               flags=re.IGNORECASE))
    query = clean_query(re.sub(r"'s\s+(?:interview|meeting|call)$", "", query or "", flags=re.IGNORECASE))
    if query is None or query.lower() in _PRONOUNS:
        return None
    entities: dict[str, str | int] = {**_email_entity(query)}
    if when:
        entities["when"] = when
    return Intent(name, query=query, entities=entities, text=utterance.text)


def _refresh(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    """'refresh Jane': re-read that candidate from the ATS now; a bare 'refresh' asks who."""
    target = match.group("target")
    if target is None:
        return Intent(name, text=utterance.text)
    query = clean_query(re.sub(r"\s+(?:now|from\s+the\s+ats)$", "", target, flags=re.IGNORECASE))
    if query is None or query.lower() in _PRONOUNS:
        return None
    return Intent(name, query=query, entities=_email_entity(query), text=utterance.text)


_PROVIDER_WORDS = {"greenhouse": "greenhouse", "lever": "lever", "workable": "workable", "breezy": "breezyhr",
                   "breezyhr": "breezyhr", "zoho": "zoho_recruit", "freshteam": "freshteam",
                   "teamtailor": "teamtailor", "recruitee": "recruitee"}


def _jobs(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    """'open jobs', 'jobs for Greenhouse', 'what roles are open in lever?'."""
    rest = (match.group("rest") or "").lower()
    provider = next((code for word, code in _PROVIDER_WORDS.items() if re.search(rf"\b{word}\b", rest)), None)
    return Intent(name, entities={"provider": provider} if provider else {}, text=utterance.text)


def _schedule(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    rest = match.group("rest") or ""
    entities: dict[str, str | int] = {}
    rest, linkedin = _take_linkedin(rest)
    if linkedin:
        entities["linkedin_url"] = linkedin
    rest, when = _take_when(rest)
    if when:
        entities["when"] = when
    rest, minutes = _take_duration(rest)
    if minutes is not None:
        entities["duration_minutes"] = minutes
    target = _SCHEDULE_LEAD.sub("", " ".join(rest.split()), count=1)
    query = clean_query(_SCHEDULE_TRAIL.sub("", target))
    if query is not None:
        query, person = _name_and_email(query)
        entities.update(person)
    return Intent(name, query=query, entities=dict(sorted(entities.items())), text=utterance.text)


def _name_and_email(query: str) -> tuple[str, dict[str, str | int]]:
    """"Jane Doe jane@example.com" or "Jane Doe <jane@example.com>": look the person up by the address, and
    keep the name for when they are in no ATS yet (it becomes their name there)."""
    addresses = [m.group(0) for m in _EMAIL_IN_TEXT.finditer(query)]
    if len(addresses) != 1 or _EMAIL.fullmatch(query):
        return query, _email_entity(query)
    name = " ".join(_EMAIL_IN_TEXT.sub(" ", query).replace("<", " ").replace(">", " ").strip(" ,;:-()").split())
    found: dict[str, str | int] = {"email": addresses[0].lower()}
    if _PERSON_NAME.fullmatch(name):
        found["name"] = name
    return addresses[0], found


_LINKEDIN = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/(?:(?P<in>in)/(?P<slug>[\w%-]+)(?:/[\w%-]*)*"
    r"|(?P<pub>pub)/(?P<path>[\w%-]+(?:/[\w%-]+)*))/?(?:\?[^\s#]*)?(?:#\S*)?(?![\w%/-])",
    re.IGNORECASE,
)


def linkedin_profile(url: str) -> str | None:
    """https://www.linkedin.com/in/<slug> for any form of a profile link (or /pub/<path> for old ones)."""
    match = _LINKEDIN.fullmatch(url.strip())
    return _linkedin_url(match) if match else None


def find_linkedin(text: str) -> str | None:
    """The first LinkedIn profile link anywhere in `text`, normalized like `linkedin_profile`."""
    return _take_linkedin(text or "")[1]


def _linkedin_url(match: re.Match[str]) -> str:
    if match.group("in"):
        return f"https://www.linkedin.com/in/{match.group('slug')}"
    return f"https://www.linkedin.com/pub/{match.group('path')}"


def _take_linkedin(text: str) -> tuple[str, str | None]:
    """The first LinkedIn profile link in `text` (normalized), and the text without any of them."""
    found = _LINKEDIN.search(text)
    return _LINKEDIN.sub(" ", text), _linkedin_url(found) if found else None


def _take_when(text: str) -> tuple[str, str | None]:
    phrases = [" ".join(m.group("when").lower().split()) for m in _WHEN.finditer(text)]
    return _WHEN.sub(" ", text), " ".join(phrases) or None


def _take_duration(text: str) -> tuple[str, int | None]:
    match = _DURATION.search(text)
    if match is None:
        return text, None
    minutes = _duration_minutes(match)
    remaining = text[: match.start()] + " " + text[match.end():]
    return remaining, minutes if 0 < minutes <= _MAX_DURATION_MINUTES else None


def _duration_minutes(match: re.Match[str]) -> int:
    if match.group("hour_and_half"):
        return 90
    if match.group("half_hour"):
        return 30
    if match.group("quarter_hour"):
        return 15
    if match.group("minutes"):
        return int(match.group("minutes"))
    hours_text = match.group("hours").lower()
    hours = _WORD_NUMBERS[hours_text] if hours_text in _WORD_NUMBERS else float(hours_text)
    return round(hours * 60) + int(match.group("extra_minutes") or 0)


# -- query cleaning ---------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_QUERY_EDGES = "\"'`*_~<>()[]{}?!.,;:"
_QUERY_LEAD = re.compile(
    r"\A(?:(?:(?:the|a|an|our|this|that)\s+)?(?:candidate|applicant|person|profile\s+(?:of|for))s?"
    r"(?:\s+(?:named|called))?\s+|(?:someone|somebody|anyone|a\s+person)\s+(?:named|called)\s+)",
    re.IGNORECASE,
)
_RECORD_NOUNS = (r"(?:status|application|applications|progress|profile|stage|candidacy|info|details"
                 r"|background|resume|cv|record|file|interviews?)")
_POSSESSIVE = re.compile(rf"\A(?P<name>.+?)(?:'s|(?<=s)')(?:\s+{_RECORD_NOUNS})?\Z", re.IGNORECASE)


def clean_query(raw: str | None) -> str | None:
    """The person part of a request: quotes, markup emphasis, "the candidate", possessives removed."""
    if raw is None:
        return None
    query = " ".join(raw.split()).strip(_QUERY_EDGES + " ")
    query = _QUERY_LEAD.sub("", query, count=1).lstrip("@#").strip(_QUERY_EDGES + " ")
    possessive = _POSSESSIVE.fullmatch(query)
    if possessive and not _EMAIL.fullmatch(query):
        query = possessive.group("name").strip(_QUERY_EDGES + " ")
    return query or None


_PERSON_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[' .-])*")  # letters with spaces, hyphens, apostrophes, dots
_EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\],;:]+@[^\s@<>()\[\],;:]+\.[A-Za-z]{2,}")


def _email_entity(query: str) -> dict[str, str | int]:
    return {"email": query.lower()} if _EMAIL.fullmatch(query) else {}


# -- settings ---------------------------------------------------------------------------------------------

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
    if (duration := _DURATION.fullmatch(typed)) is not None:
        return _duration_minutes(duration)
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


def _followups_off(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    return _setting(utterance, "followup_delays_days", days="")


_SETTINGS_RULES: tuple[IntentRule, ...] = (
    IntentRule("my settings", IntentName.MY_SETTINGS, _request(
        r"(?:(?:show|list|see|view|display|check|open|get|give)\s+(?:me\s+)?|what\s+are\s+|what(?:'s|s|\s+is)\s+"
        r"|how\s+(?:do|can)\s+i\s+(?:change|edit|update|set)\s+|(?:change|edit|update)\s+)?(?:all\s+)?"
        r"(?:(?:my|the|our)\s+)?(?:(?:scheduling|personal|user|hirebot|bot|meeting)\s+)?"
        r"(?:settings|preferences|prefs|config(?:uration)?)"
        r"|(?:what(?:'s|s|\s+is|\s+are)|(?:how\s+(?:do|can)\s+i\s+)?(?:change|edit|update|set))\s+my\s+(?:time\s*-?\s*zone|tz|(?:working|work|office)\s+hours"
        rf"|{_DEFAULT}(?:length|duration|{_LOCATION})|{_BRIEFING}|{_FEED_NOUN}|(?:morning\s+)?digest|{_FOLLOWUPS})"
        r"|(?:(?:my|our)\s+)?(?:working|work|office)\s+hours"), _plain),
    IntentRule("brief me", IntentName.CHANGE_SETTING, _request(rf"brief\s+me\s+(?P<amount>.+?){_BEFORE}?"),
               _briefing_lead),
    IntentRule("briefing lead", IntentName.CHANGE_SETTING, _request(
        rf"{_SET}?{_MY}?{_BRIEFING}{_IS}(?P<amount>.+?){_BEFORE}?"), _briefing_lead),
    IntentRule("send me briefings", IntentName.CHANGE_SETTING, _request(
        rf"(?:send|give)\s+me\s+{_MY}?{_BRIEFING}\s+(?P<amount>.+?){_BEFORE}"), _briefing_lead),
    IntentRule("digest on", IntentName.CHANGE_SETTING, _request(
        rf"(?:(?:turn|switch|flip)\s+on\s+{_DIGEST}|(?:turn|switch|flip)\s+{_DIGEST}\s+on"
        rf"|(?:enable|start|activate|resume|subscribe\s+(?:me\s+)?to)\s+{_DIGEST}|{_DIGEST}\s+on"
        rf"|(?:send|give)\s+me\s+{_DIGEST}|i\s+(?:want|would\s+like|'d\s+like)\s+{_DIGEST}){_DIGEST_AT}"),
        _digest_on),
    IntentRule("digest off", IntentName.CHANGE_SETTING, _request(
        rf"(?:turn|switch)\s+off\s+{_DIGEST}|(?:turn|switch)\s+{_DIGEST}\s+off"
        rf"|(?:disable|stop|cancel|pause|end|mute|remove|unsubscribe\s+(?:me\s+)?from)\s+(?:sending\s+(?:me\s+)?)?"
        rf"{_DIGEST}|{_DIGEST}\s+off|no\s+(?:more\s+)?{_DIGEST}"
        rf"|i\s+(?:don'?t|do\s+not)\s+(?:want|need)\s+(?:any\s+)?{_DIGEST}(?:\s+any\s*more)?"), _digest_off),
    IntentRule("digest hour", IntentName.CHANGE_SETTING, _request(
        rf"{_SET}?{_DIGEST}(?:\s*[:=]\s*|\s+(?P<at_word>at|to|for|around)\s+|\s+)(?P<at>.+?)"), _digest_hour),
    IntentRule("working hours", IntentName.CHANGE_SETTING, _request(
        rf"{_SET}?{_MY}?(?:working|work|office|business)\s+hours{_IS}(?P<hours>.+?)"), _working_hours),
    IntentRule("I work", IntentName.CHANGE_SETTING, _request(
        r"i\s+(?:usually\s+|normally\s+)?work\s+(?P<hours>(?:(?:from|between|on)\s+)?"
        r"(?:\d|mon|tue|wed|thu|fri|sat|sun|weekdays|every|daily).*?)"), _working_hours),
    IntentRule("time zone", IntentName.CHANGE_SETTING, _request(
        rf"{_SET}?{_MY}?(?:time\s*-?\s*zone|tz){_IS}(?P<zone>.+?)"), _timezone),
    IntentRule("I'm in", IntentName.CHANGE_SETTING, _request(
        r"(?:i'?m|i\s+am|i\s+live|i\s+work|we'?re|we\s+are|i'?ve\s+moved|i\s+moved)\s+"
        r"(?:(?:now|currently|based|located|living|working|usually)\s+)*(?:in|to)\s+(?P<zone>.+?)"
        r"(?:\s+(?:time(?:\s*-?\s*zone)?|tz))?"), _timezone_if_zone),
    IntentRule("calendar feed", IntentName.CHANGE_SETTING, _request(
        rf"(?:(?:set|change|update|use|add|connect|save|link)\s+)?{_MY}?{_FEED_ANY}"
        r"(?:\s*[:=]\s*|\s+(?:(?:is|to|as|at|should\s+be|will\s+be)\s+)?)(?P<url>\S+)"
        rf"|(?:use|add|connect|save|link)\s+(?P<url2>\S+)\s+(?:as|for)\s+{_MY}?{_FEED_ANY}"), _feed),
    IntentRule("here is my feed", IntentName.CHANGE_SETTING, _request(
        rf"here(?:'s|s|\s+is)\s+{_MY}?{_FEED_ANY}\s*:?\s*(?P<url>\S+)"), _feed),
    IntentRule("remove feed", IntentName.CHANGE_SETTING, _request(
        r"(?:remove|delete|clear|forget|disconnect|unlink|drop|erase|reset|unset|turn\s+off|disable|stop\s+using)"
        rf"\s+{_MY}?{_FEED_NOUN}|no\s+(?:more\s+)?{_FEED_NOUN}|{_MY}?{_FEED_NOUN}\s*(?:[:=]\s*|\s+(?:is\s+)?)"
        r"(?:off|none|nothing)"), _feed_remove),
    IntentRule("default length", IntentName.CHANGE_SETTING, _request(
        rf"{_SET}?{_MY}?(?:{_DEFAULT}(?:length|duration|time)|(?:meeting|interview|call)\s+(?:length|duration)"
        rf"(?:\s+by\s+default)?){_IS}(?:of\s+)?(?P<amount>.+?)"
        rf"|(?:make\s+)?(?:(?:my|all|our)\s+)?(?:meetings|interviews|calls)\s+(?:are\s+|should\s+be\s+|last\s+)?"
        r"(?P<amount2>.+?)(?:\s+long)?\s+by\s+default"), _default_duration),
    IntentRule("default location", IntentName.CHANGE_SETTING, _request(
        rf"{_SET}?{_MY}?{_DEFAULT}{_LOCATION}{_IS}(?P<location>.+?)"
        rf"|use\s+(?P<location2>.+?)\s+as\s+{_MY}?{_DEFAULT}{_LOCATION}"), _default_location),
    IntentRule("remove default location", IntentName.CHANGE_SETTING, _request(
        rf"(?:remove|delete|clear|forget|unset|reset|drop)\s+{_MY}?{_DEFAULT}{_LOCATION}|no\s+{_DEFAULT}{_LOCATION}"),
        _default_location),
    IntentRule("candidate reminder", IntentName.CHANGE_SETTING, _request(
        rf"(?:{_SET}|send\s+)?{_MY}?{_REMINDER}"
        r"(?:\s*[:=]\s*|\s+(?P<at_word>is|to|at|around|should\s+be|go(?:es)?\s+out\s+at)\s+|\s+)(?P<at>.+?)"),
        _reminder_hour),
    IntentRule("remind candidates", IntentName.CHANGE_SETTING, _request(
        r"(?:remind|send)\s+(?:the\s+|my\s+|all\s+)?candidates(?:\s+(?:their|the|a)\s+(?:(?:day-?of|same-?day)\s+)?"
        r"reminders?(?:\s+emails?)?)?\s+(?P<at_word>at|around)\s+(?P<at>.+?)"), _reminder_hour),
    IntentRule("follow-ups", IntentName.CHANGE_SETTING, _request(
        rf"(?:{_SET}|send\s+)?{_MY}?{_FOLLOWUPS}(?:\s+(?:delays?|timing|schedule))?"
        r"(?:\s*[:=]\s*|\s+(?P<at_word>to|are|is|should\s+be|go\s+out)\s+|\s+)(?P<delays>.+?)"
        r"(?:\s+(?:later|after\s+(?:the\s+)?request|without\s+(?:an\s+)?(?:answer|reply)))?"), _followups),
    IntentRule("follow up after", IntentName.CHANGE_SETTING, _request(
        r"follow[\s-]?up(?:\s+with\s+(?:candidates|them))?\s+(?P<delays>after\s+.+?)"
        r"(?:\s+(?:later|without\s+(?:an\s+)?(?:answer|reply)))?"), _followups),
    IntentRule("follow-ups off", IntentName.CHANGE_SETTING, _request(
        r"(?:turn\s+off|disable|stop|skip|cancel|no(?:\s+more)?|don'?t\s+send(?:\s+any)?|never\s+send)\s+"
        rf"(?:the\s+|any\s+)?{_FOLLOWUPS}|don'?t\s+follow[\s-]?up(?:\s+with\s+(?:candidates|them))?"
        rf"|{_MY}?{_FOLLOWUPS}\s+off"), _followups_off),
)


# -- the table --------------------------------------------------------------------------------------------

_T = r"(?P<target>.+?)"
_RECORD_VERBS = r"(?:pull\s+up|bring\s+up|find|search(?:\s+for)?|show(?:\s+me)?|check(?:\s+on)?|view|display)"
_SCHEDULE_VERBS = (r"(?:schedule|book|arrange|organi[sz]e|set\s*up|line\s+up"
                   r"|find\s+(?:a\s+|some\s+)?(?:time|slot)(?:\s+to\s+meet)?)")
_JOBS = r"(?:jobs?|roles?|positions?|openings?|reqs?|requisitions?|vacancies)"

RULES: tuple[IntentRule, ...] = (
    IntentRule("help", IntentName.HELP, _request(
        r"help(?:\s+me)?(?:\s+(?:with|on|about)\s+.+)?|i\s+need\s+(?:some\s+)?help"
        r"|(?:what|which)\s+(?:can|do|could)\s+(?:you|u|hirebot)\s+do|what\s+do\s+(?:you|u)\s+do"
        r"|how\s+(?:does|do)\s+(?:this|it|you|u|hirebot|this\s+bot)\s+work"
        r"|how\s+do\s+i\s+use\s+(?:this|you|it|hirebot)|(?:who|what)\s+are\s+(?:you|u)"
        r"|(?:(?:list|show)\s+(?:me\s+)?(?:the\s+|your\s+)?|what\s+are\s+(?:the\s+|your\s+))?commands|usage"),
        _plain),
    IntentRule("greeting", IntentName.GREETING, _whole(
        rf"{_GREETING}(?:[\s,!.]+{_AUDIENCE})?|how\s+are\s+(?:you|u)(?:\s+doing)?|what'?s\s+up|sup"),
        _plain),
    IntentRule("thanks", IntentName.THANKS, _whole(
        r"(?:(?:ok(?:ay)?|great|awesome|cool|perfect|nice|got\s+it|amazing|brilliant)[\s,!.]+)?"
        r"(?:thanks|thank\s+(?:you|u)|thx|thnx|tx|ty|tysm|tyvm|cheers|much\s+appreciated|appreciate\s+it"
        r"|many\s+thanks|ta)"
        r"(?:[\s,!.]+(?:so\s+much|a\s+lot|a\s+bunch|a\s+ton|very\s+much|again|mate|man|buddy|all|heaps))*"),
        _plain),
    *_SETTINGS_RULES,
    # Claimed for later intents; unknown until their handlers exist, and never schedule or who is.
    IntentRule("why no reminder", IntentName.WHY_NO_REMINDER, _request(
        rf"why\s+(?:didn'?t|did\s+not|hasn'?t|has\s+not|wasn'?t|was\s+not)\s+{_T}\s+"
        r"(?:get|got|gotten|receive|received|been\s+sent|sent)\s+(?:a|the|any|their|his|her)?\s*"
        r"(?:day-?of\s+)?(?:reminder|follow-?up|email)s?\b.*"), _who_is),
    IntentRule("reschedule", IntentName.RESCHEDULE, _request(
        r"(?:re-?schedule|re-?book|move|push(?:\s+back)?|postpone|delay)"
        rf"(?:\s+(?:the|my|our|a)?\s*(?:interview|meeting|call|chat)?\s*(?:with|for)?)?\s+{_T}"),
        _meeting_change),
    IntentRule("cancel", IntentName.CANCEL, _request(
        r"(?:cancel|call\s+off)"
        rf"(?:\s+(?:the|my|our|a)?\s*(?:interview|meeting|call|chat)?\s*(?:with|for)?)?\s+{_T}"),
        _meeting_change),
    IntentRule("refresh", IntentName.REFRESH, _request(
        rf"(?:refresh|re-?sync|sync|reload|re-?read|update)(?:\s+{_T})?"), _refresh),
    IntentRule("open jobs", IntentName.JOBS, _request(
        r"(?:(?:show|list|what|which|any|see|view|get)\s+)?(?:me\s+)?(?:(?:are|is|the|all|our|any)\s+)*"
        rf"(?:(?:open|current|active|available)\s+)?{_JOBS}\b(?P<rest>.*)"), _jobs),
    IntentRule("my meetings", IntentName.MY_MEETINGS, _request(
        r"(?:(?:show|list|check|see|view|what\s+are|what(?:'s|s|\s+is)(?:\s+on)?)\s+)?(?:me\s+)?(?:all\s+)?"
        r"(?:my|our)\s+(?:upcoming\s+|next\s+)?(?:meetings?|interviews?|calls?|calendar|schedule|agenda)\b.*"
        r"|what\s+(?:meetings|interviews|calls)\s+(?:do|have)\s+(?:i|we)\b.*"), _plain),
    IntentRule("what did you log", IntentName.WHAT_LOGGED, _request(
        r"what\s+(?:did|have)\s+(?:you|u)\s+"
        r"(?:log|logged|record|recorded|note|noted|save|saved|write|written|put)"
        r"(?:\s+(?:in|to|into)\s+(?:the\s+)?(?:ats|greenhouse|lever))?"
        rf"\s+(?:for|about|on)\s+{_T}"), _who_is),
    IntentRule("ATS log for", IntentName.WHAT_LOGGED, _request(
        rf"(?:show\s+(?:me\s+)?)?(?:the\s+)?(?:ats\s+)?(?:log|logs|activity|history)\s+(?:for|of|on|about)\s+{_T}"),
        _who_is),
    IntentRule("schedule", IntentName.SCHEDULE, _request(rf"{_SCHEDULE_VERBS}(?:\s+(?P<rest>.+?))?"),
               _schedule),
    IntentRule("who is", IntentName.WHO_IS, _request(rf"who(?:\s+is|'s|s|\s+was)(?:\s+{_T})?"), _who_is),
    IntentRule("tell me about", IntentName.WHO_IS, _request(
        rf"(?:tell\s+me\s+(?:more\s+|a\s+bit\s+|something\s+)?about"
        rf"|what\s+do\s+(?:you|we)\s+(?:know|have)\s+(?:about|on))\s+{_T}"), _who_is),
    IntentRule("look up", IntentName.WHO_IS, _request(rf"look\s*up\s+{_T}"), _who_is),
    IntentRule("look X up", IntentName.WHO_IS, _request(rf"look\s+{_T}\s+up"), _who_is),
    IntentRule("info on", IntentName.WHO_IS, _request(
        rf"(?:(?:get|any|some|i\s+need|i\s+want)\s+)?(?:info|information|details|background)"
        rf"\s+(?:on|about|for|of)\s+{_T}"), _who_is),
    IntentRule("status of", IntentName.WHO_IS, _request(
        rf"(?:what(?:'s|s|\s+is)\s+)?(?:the\s+)?(?:current\s+|latest\s+)?status(?:\s+(?:of|for|on))?\s+{_T}"),
        _who_is),
    IntentRule("updates on", IntentName.WHO_IS, _request(
        rf"(?:what(?:'s|s|\s+is)\s+)?(?:any\s+|the\s+)?(?:latest|news|updates?)"
        rf"\s+(?:on|for|about|with)\s+{_T}"),
        _who_is),
    IntentRule("pull up", IntentName.WHO_IS, _request(rf"{_RECORD_VERBS}\s+{_T}"), _who_is),
    IntentRule("X's status", IntentName.WHO_IS, _request(
        rf"(?:(?:what|how)(?:'s|s|\s+is)\s+)?(?P<target>.+?(?:'s|s'))\s+{_RECORD_NOUNS}"), _who_is),
    IntentRule("email", IntentName.WHO_IS, _request(rf"(?P<target>{_EMAIL.pattern})"), _who_is),
    IntentRule("name?", IntentName.WHO_IS, _request(r"(?P<target>.+?)"), _bare_name),
)


def parse(raw: str) -> Intent:
    """The intent of one chat message; anything not understood (including empty input) is UNKNOWN."""
    text = clean_text(raw)
    utterance = Utterance.from_text(text)
    if not utterance.body:
        if utterance.asked:
            return Intent(IntentName.HELP, text=text)
        return Intent(IntentName.GREETING if utterance.addressed else IntentName.UNKNOWN, text=text)
    for rule in RULES:
        match = rule.pattern.fullmatch(utterance.body)
        if match is None:
            continue
        intent = rule.build(rule.name, match, utterance)
        if intent is not None:
            return intent
    return Intent(IntentName.UNKNOWN, text=text)
