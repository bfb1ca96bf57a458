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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

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
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Intent:
    name: IntentName
    query: str | None = None
    """The person the message is about (a name or an email), cleaned of quotes, politeness and possessives."""
    entities: Mapping[str, str | int] = field(default_factory=dict)
    """Extra details: duration_minutes (int), when (str), email (str, lowercased), provider (str, for jobs)."""
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
    return label or target


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
    rest, when = _take_when(rest)
    if when:
        entities["when"] = when
    rest, minutes = _take_duration(rest)
    if minutes is not None:
        entities["duration_minutes"] = minutes
    target = _SCHEDULE_LEAD.sub("", " ".join(rest.split()), count=1)
    query = clean_query(_SCHEDULE_TRAIL.sub("", target))
    if query is not None:
        entities.update(_email_entity(query))
    return Intent(name, query=query, entities=dict(sorted(entities.items())), text=utterance.text)


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


def _email_entity(query: str) -> dict[str, str | int]:
    return {"email": query.lower()} if _EMAIL.fullmatch(query) else {}


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
