"""The intent table: one ordered list of rules, tried in turn on the cleaned message; the first rule
whose pattern matches and whose builder accepts the match decides the intent."""

from __future__ import annotations

import re
from functools import cache

from adapters.registry import provider_words
from bot.intents.entities import (
    EMAIL,
    RECORD_NOUNS,
    SCHEDULE_LEAD,
    SCHEDULE_TRAIL,
    clean_query,
    email_entity,
    name_and_email,
    take_duration,
    take_linkedin,
    take_when,
)
from bot.intents.grammar import AUDIENCE, GREETING, IntentRule, plain_intent, request_pattern, whole_pattern
from bot.intents.model import Intent, IntentName
from bot.intents.normalize import Utterance, clean_text
from bot.intents.settings_rules import SETTINGS_RULES

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
    return Intent(name, query=query, entities=email_entity(query), text=utterance.text)


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


# Short chat replies that have the shape of a two-word name ("good night", "sounds good"): said without a
# "?", they are not a lookup. Only words that are not also common names belong here.
_CHAT_WORDS = frozenset((
    "good", "night", "bye", "goodbye", "never", "mind", "worries", "worry", "sounds", "great", "cool", "nice",
    "got", "done", "makes", "sense", "see", "later", "sorry", "fine", "okay", "ok", "alright", "right", "wait",
    "send", "cancel", "stop", "go", "yes", "no", "maybe", "perfect", "awesome", "thanks", "thank", "lol",
    "please", "one", "more", "test", "testing", "exit", "quit", "back", "next", "previous", "menu",
    "candidate", "candidates", "drop", "table", "select", "delete", "insert", "null", "true", "false",
))
_UNASKED_NAME_WORDS = (2, 4)


def _bare_name(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    """'Jane Doe?' and a plain 'Jane Doe': a lookup when it reads like a name. Without a "?" it must be the
    whole message (not "hi jane") and two to four words that are not everyday chat ("sounds good")."""
    # Judge the words as typed (less wrapping quotes), so "'; DROP TABLE users; --?" is not a name.
    words = match.group("target").strip("\"'`*_~ ").replace(",", " ").split()
    if not 1 <= len(words) <= _MAX_NAME_WORDS:
        return None
    if not all(_NAME_WORD.fullmatch(w) and w.lower().strip(".'-") not in _NOT_NAMES for w in words):
        return None
    if not utterance.asked:
        low, high = _UNASKED_NAME_WORDS
        if match.group("target") != utterance.body or not low <= len(words) <= high:
            return None
        if any(w.lower().strip(".'-") in _CHAT_WORDS for w in words):
            return None
    query = clean_query(match.group("target"))
    return Intent(name, query=query, text=utterance.text) if query else None




def _meeting_change(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent | None:
    """'reschedule with Jane next week', 'cancel the interview with Jane': the person, plus new time words."""
    rest, when = take_when(match.group("target"))
    rest = re.sub(r"\s+(?:to|until|till|for|on|at)$", "", rest.strip(), flags=re.IGNORECASE)
    query = clean_query(re.sub(r"^(?:the|my|our)\s+(?:interview|meeting|call)\s+(?:with|for)\s+", "", rest,
                               flags=re.IGNORECASE))
    query = clean_query(re.sub(r"'s\s+(?:interview|meeting|call)$", "", query or "", flags=re.IGNORECASE))
    if query is None or query.lower() in _PRONOUNS:
        return None
    entities: dict[str, str | int] = {**email_entity(query)}
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
    return Intent(name, query=query, entities=email_entity(query), text=utterance.text)


# The words that name an ATS come from the provider registry; longest first, so "zoho recruit" wins over "zoho".
@cache
def _provider_words() -> list[tuple[re.Pattern[str], str]]:
    """Built when first asked for jobs, not by every process that parses a message."""
    return [(re.compile(rf"\b{re.escape(word)}\b"), name)
            for word, name in sorted(provider_words().items(), key=lambda item: -len(item[0]))]


def _jobs(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    """'open jobs', 'jobs for Greenhouse', 'what roles are open in lever?'."""
    rest = (match.group("rest") or "").lower()
    provider = next((name for word, name in _provider_words() if word.search(rest)), None)
    return Intent(name, entities={"provider": provider} if provider else {}, text=utterance.text)


def _schedule(name: IntentName, match: re.Match[str], utterance: Utterance) -> Intent:
    rest = match.group("rest") or ""
    entities: dict[str, str | int] = {}
    rest, linkedin = take_linkedin(rest)
    if linkedin:
        entities["linkedin_url"] = linkedin
    rest, when = take_when(rest)
    if when:
        entities["when"] = when
    rest, minutes = take_duration(rest)
    if minutes is not None:
        entities["duration_minutes"] = minutes
    target = SCHEDULE_LEAD.sub("", " ".join(rest.split()), count=1)
    query = clean_query(SCHEDULE_TRAIL.sub("", target))
    if query is not None:
        query, person = name_and_email(query)
        entities.update(person)
    return Intent(name, query=query, entities=dict(sorted(entities.items())), text=utterance.text)




_T = r"(?P<target>.+?)"
_RECORD_VERBS = r"(?:pull\s+up|bring\s+up|find|search(?:\s+for)?|show(?:\s+me)?|check(?:\s+on)?|view|display)"
_SCHEDULE_VERBS = (r"(?:schedule|book|arrange|organi[sz]e|set\s*up|line\s+up"
                   r"|find\s+(?:a\s+|some\s+)?(?:time|slot)(?:\s+to\s+meet)?)")
_GOT = r"(?:get|got|gotten|receive|received|been\s+sent|sent)"
_REMINDER = (r"(?:(?:a|the|any|their|his|her)\s+)?(?:day-?of\s+)?(?:reminder|follow-?up|email)s?")
_WHY_NOT_YOU = r"why\s+(?:didn'?t|did\s+not|haven'?t|have\s+not)\s+(?:you|u|hirebot)\s+"
_JOBS = r"(?:jobs?|roles?|positions?|openings?|reqs?|requisitions?|vacancies)"

# Every name of an ATS ("greenhouse", "zoho recruit"), longest first, for "what did you log in Workable for X".
_ATS_NAMES = "|".join(re.escape(word).replace(r"\ ", r"\s+")
                      for word in sorted(provider_words(), key=len, reverse=True))

RULES: tuple[IntentRule, ...] = (
    IntentRule("help", IntentName.HELP, request_pattern(
        r"help(?:\s+me)?(?:\s+(?:with|on|about)\s+.+)?|i\s+need\s+(?:some\s+)?help"
        r"|(?:what|which)\s+(?:can|do|could)\s+(?:you|u|hirebot)\s+do|what\s+do\s+(?:you|u)\s+do"
        r"|how\s+(?:does|do)\s+(?:this|it|you|u|hirebot|this\s+bot)\s+work"
        r"|how\s+do\s+i\s+use\s+(?:this|you|it|hirebot)|(?:who|what)\s+are\s+(?:you|u)"
        r"|(?:(?:list|show)\s+(?:me\s+)?(?:the\s+|your\s+)?|what\s+are\s+(?:the\s+|your\s+))?commands|usage"),
        plain_intent),
    IntentRule("greeting", IntentName.GREETING, whole_pattern(
        rf"{GREETING}(?:[\s,!.]+{AUDIENCE})?|how\s+are\s+(?:you|u)(?:\s+doing)?|what'?s\s+up|sup"),
        plain_intent),
    IntentRule("thanks", IntentName.THANKS, whole_pattern(
        r"(?:(?:ok(?:ay)?|great|awesome|cool|perfect|nice|got\s+it|amazing|brilliant)[\s,!.]+)?"
        r"(?:thanks|thank\s+(?:you|u)|thx|thnx|tx|ty|tysm|tyvm|cheers|much\s+appreciated|appreciate\s+it"
        r"|many\s+thanks|ta)"
        r"(?:[\s,!.]+(?:so\s+much|a\s+lot|a\s+bunch|a\s+ton|very\s+much|again|mate|man|buddy|all|heaps))*"),
        plain_intent),
    *SETTINGS_RULES,
    # Claimed for later intents; unknown until their handlers exist, and never schedule or who is.
    IntentRule("why no reminder", IntentName.WHY_NO_REMINDER, request_pattern(
        rf"(?:why\s+(?:didn'?t|did\s+not|hasn'?t|has\s+not|wasn'?t|was\s+not)|did|has)\s+{_T}\s+"
        rf"(?:ever\s+|never\s+|not\s+)?{_GOT}\s+{_REMINDER}\b.*"), _who_is),
    IntentRule("why did X not get a reminder", IntentName.WHY_NO_REMINDER, request_pattern(
        rf"why\s+did\s+{_T}\s+(?:not|never)\s+{_GOT}\s+{_REMINDER}\b.*"), _who_is),
    IntentRule("why no reminder for X", IntentName.WHY_NO_REMINDER, request_pattern(
        r"(?:why\s+(?:(?:is|was)\s+there\s+|(?:isn'?t|wasn'?t|hasn'?t)\s+there\s+(?:been\s+)?)?)?"
        rf"(?:no|not\s+a|a|any)\s+{_REMINDER}\s+(?:for|to|sent\s+to)\s+{_T}"), _who_is),
    IntentRule("why wasn't X reminded", IntentName.WHY_NO_REMINDER, request_pattern(
        rf"why\s+(?:didn'?t|did\s+not|hasn'?t|has\s+not|wasn'?t|was\s+not|isn'?t)\s+{_T}\s+"
        r"(?:been\s+|get\s+|got\s+)?reminded\b.*"), _who_is),
    IntentRule("why didn't you remind X", IntentName.WHY_NO_REMINDER, request_pattern(
        rf"{_WHY_NOT_YOU}remind\s+{_T}"), _who_is),
    IntentRule("why didn't you send X a reminder", IntentName.WHY_NO_REMINDER, request_pattern(
        rf"{_WHY_NOT_YOU}(?:send|email)\s+{_T}\s+{_REMINDER}\b.*"), _who_is),
    IntentRule("reschedule", IntentName.RESCHEDULE, request_pattern(
        r"(?:re-?schedule|re-?book|move|push(?:\s+back)?|postpone|delay)"
        rf"(?:\s+(?:the|my|our|a)?\s*(?:interview|meeting|call|chat)?\s*(?:with|for)?)?\s+{_T}"),
        _meeting_change),
    IntentRule("cancel", IntentName.CANCEL, request_pattern(
        r"(?:cancel|call\s+off)"
        rf"(?:\s+(?:the|my|our|a)?\s*(?:interview|meeting|call|chat)?\s*(?:with|for)?)?\s+{_T}"),
        _meeting_change),
    IntentRule("refresh", IntentName.REFRESH, request_pattern(
        rf"(?:refresh|re-?sync|sync|reload|re-?read|update)(?:\s+{_T})?"), _refresh),
    IntentRule("open jobs", IntentName.JOBS, request_pattern(
        r"(?:(?:show|list|what|which|any|see|view|get)\s+)?(?:me\s+)?(?:(?:are|is|the|all|our|any)\s+)*"
        rf"(?:(?:open|current|active|available)\s+)?{_JOBS}\b(?P<rest>.*)"), _jobs),
    IntentRule("my meetings", IntentName.MY_MEETINGS, request_pattern(
        r"(?:(?:show|list|check|see|view|what\s+are|what(?:'s|s|\s+is)(?:\s+on)?)\s+)?(?:me\s+)?(?:all\s+)?"
        r"(?:my|our)\s+(?:upcoming\s+|next\s+)?(?:meetings?|interviews?|calls?|calendar|schedule|agenda)\b.*"
        r"|what\s+(?:meetings|interviews|calls)\s+(?:do|have)\s+(?:i|we)\b.*"), plain_intent),
    IntentRule("what did you log", IntentName.WHAT_LOGGED, request_pattern(
        r"what\s+(?:did|have)\s+(?:you|u)\s+"
        r"(?:log|logged|record|recorded|note|noted|save|saved|write|written|put)"
        rf"(?:\s+(?:in|to|into)\s+(?:the\s+)?(?:ats|{_ATS_NAMES}))?"
        rf"\s+(?:for|about|on)\s+{_T}"), _who_is),
    IntentRule("ATS log for", IntentName.WHAT_LOGGED, request_pattern(
        rf"(?:show\s+(?:me\s+)?)?(?:the\s+)?(?:ats\s+)?(?:log|logs|activity|history)\s+(?:for|of|on|about)\s+{_T}"),
        _who_is),
    IntentRule("schedule", IntentName.SCHEDULE, request_pattern(rf"{_SCHEDULE_VERBS}(?:\s+(?P<rest>.+?))?"),
               _schedule),
    IntentRule("who is", IntentName.WHO_IS, request_pattern(rf"who(?:\s+is|'s|s|\s+was|is)(?:\s+{_T})?"), _who_is),
    IntentRule("tell me about", IntentName.WHO_IS, request_pattern(
        rf"(?:tell\s+me\s+(?:more\s+|a\s+bit\s+|something\s+)?about"
        rf"|what\s+do\s+(?:you|we)\s+(?:know|have)\s+(?:about|on))\s+{_T}"), _who_is),
    IntentRule("look up", IntentName.WHO_IS, request_pattern(rf"look\s*up\s+{_T}"), _who_is),
    IntentRule("look X up", IntentName.WHO_IS, request_pattern(rf"look\s+{_T}\s+up"), _who_is),
    IntentRule("info on", IntentName.WHO_IS, request_pattern(
        rf"(?:(?:get|any|some|i\s+need|i\s+want)\s+)?(?:info|information|details|background)"
        rf"\s+(?:on|about|for|of)\s+{_T}"), _who_is),
    IntentRule("status of", IntentName.WHO_IS, request_pattern(
        rf"(?:what(?:'s|s|\s+is)\s+)?(?:the\s+)?(?:current\s+|latest\s+)?status(?:\s+(?:of|for|on))?\s+{_T}"),
        _who_is),
    IntentRule("updates on", IntentName.WHO_IS, request_pattern(
        rf"(?:what(?:'s|s|\s+is)\s+)?(?:any\s+|the\s+)?(?:latest|news|updates?)"
        rf"\s+(?:on|for|about|with)\s+{_T}"),
        _who_is),
    IntentRule("pull up", IntentName.WHO_IS, request_pattern(rf"{_RECORD_VERBS}\s+{_T}"), _who_is),
    IntentRule("X's status", IntentName.WHO_IS, request_pattern(
        rf"(?:(?:what|how)(?:'s|s|\s+is)\s+)?(?P<target>.+?(?:'s|s'))\s+{RECORD_NOUNS}"), _who_is),
    IntentRule("email", IntentName.WHO_IS, request_pattern(rf"(?P<target>{EMAIL.pattern})"), _who_is),
    IntentRule("name?", IntentName.WHO_IS, request_pattern(r"(?P<target>.+?)"), _bare_name),
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
        match = rule.match(utterance.body)
        if match is None:
            continue
        intent = rule.build(rule.name, match, utterance)
        if intent is not None:
            return intent
    return Intent(IntentName.UNKNOWN, text=text)
