"""The parsers for what a request is about: time words, meeting lengths, LinkedIn profile links, email
addresses, and the person's name cleaned of quotes, politeness and possessives."""

from __future__ import annotations

import re
from functools import cache

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


@cache
def _when() -> re.Pattern[str]:
    """Time phrases; compiled on first use (only scheduling requests read them), as the largest
    pattern here would otherwise cost every process that answers "who is"."""
    return re.compile(
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
DURATION = re.compile(
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
SCHEDULE_LEAD = re.compile(
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
SCHEDULE_TRAIL = re.compile(r"\s+(?:for|about|regarding|re:?|at|in|on|to\s+discuss)(?:\s.*)?\Z",
                             re.IGNORECASE)




def name_and_email(query: str) -> tuple[str, dict[str, str | int]]:
    """"Jane Doe jane@example.com" or "Jane Doe <jane@example.com>": look the person up by the address, and
    keep the name for when they are in no ATS yet (it becomes their name there)."""
    addresses = [m.group(0) for m in _EMAIL_IN_TEXT.finditer(query)]
    if len(addresses) != 1 or EMAIL.fullmatch(query):
        return query, email_entity(query)
    name = " ".join(_EMAIL_IN_TEXT.sub(" ", query).replace("<", " ").replace(">", " ").strip(" ,;:-()").split())
    found: dict[str, str | int] = {"email": addresses[0].lower()}
    if _PERSON_NAME.fullmatch(name):
        found["name"] = name
    return addresses[0], found


LINKEDIN = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/(?:(?P<in>in)/(?P<slug>[\w%-]+)(?:/[\w%-]*)*"
    r"|(?P<pub>pub)/(?P<path>[\w%-]+(?:/[\w%-]+)*))/?(?:\?[^\s#]*)?(?:#\S*)?(?![\w%/-])",
    re.IGNORECASE,
)


def linkedin_profile(url: str) -> str | None:
    """https://www.linkedin.com/in/<slug> for any form of a profile link (or /pub/<path> for old ones)."""
    match = LINKEDIN.fullmatch(url.strip())
    return _linkedin_url(match) if match else None


def find_linkedin(text: str) -> str | None:
    """The first LinkedIn profile link anywhere in `text`, normalized like `linkedin_profile`."""
    return take_linkedin(text or "")[1]


def _linkedin_url(match: re.Match[str]) -> str:
    if match.group("in"):
        return f"https://www.linkedin.com/in/{match.group('slug')}"
    return f"https://www.linkedin.com/pub/{match.group('path')}"


def take_linkedin(text: str) -> tuple[str, str | None]:
    """The first LinkedIn profile link in `text` (normalized), and the text without any of them."""
    found = LINKEDIN.search(text)
    return LINKEDIN.sub(" ", text), _linkedin_url(found) if found else None


def take_when(text: str) -> tuple[str, str | None]:
    phrases = [" ".join(m.group("when").lower().split()) for m in _when().finditer(text)]
    return _when().sub(" ", text), " ".join(phrases) or None


def take_duration(text: str) -> tuple[str, int | None]:
    match = DURATION.search(text)
    if match is None:
        return text, None
    minutes = duration_minutes(match)
    remaining = text[: match.start()] + " " + text[match.end():]
    return remaining, minutes if 0 < minutes <= _MAX_DURATION_MINUTES else None


def duration_minutes(match: re.Match[str]) -> int:
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

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_QUERY_EDGES = "\"'`*_~<>()[]{}?!.,;:"
_QUERY_LEAD = re.compile(
    r"\A(?:(?:(?:the|a|an|our|this|that)\s+)?(?:candidate|applicant|person|profile\s+(?:of|for))s?"
    r"(?:\s+(?:named|called))?\s+|(?:someone|somebody|anyone|a\s+person)\s+(?:named|called)\s+)",
    re.IGNORECASE,
)
RECORD_NOUNS = (r"(?:status|application|applications|progress|profile|stage|candidacy|info|details"
                 r"|background|resume|cv|record|file|interviews?)")
_POSSESSIVE = re.compile(rf"\A(?P<name>.+?)(?:'s|(?<=s)')(?:\s+{RECORD_NOUNS})?\Z", re.IGNORECASE)


def clean_query(raw: str | None) -> str | None:
    """The person part of a request: quotes, markup emphasis, "the candidate", possessives removed."""
    if raw is None:
        return None
    query = " ".join(raw.split()).strip(_QUERY_EDGES + " ")
    query = _QUERY_LEAD.sub("", query, count=1).lstrip("@#").strip(_QUERY_EDGES + " ")
    possessive = _POSSESSIVE.fullmatch(query)
    if possessive and not EMAIL.fullmatch(query):
        query = possessive.group("name").strip(_QUERY_EDGES + " ")
    return query or None


_PERSON_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[' .-])*")  # letters with spaces, hyphens, apostrophes, dots
_EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\],;:]+@[^\s@<>()\[\],;:]+\.[A-Za-z]{2,}")


def email_entity(query: str) -> dict[str, str | int]:
    return {"email": query.lower()} if EMAIL.fullmatch(query) else {}
