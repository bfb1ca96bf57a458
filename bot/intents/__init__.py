"""Turn one chat message into an intent the core can answer: what the asker wants, and about whom.

Front ends hand the core plain text (their markup already turned into text: bot/slack/markup.py);
`clean_text` makes any of it short, visible and NFC; `parse` matches it against one ordered table of rules
(bot/intents/rules.py, with the settings rows in settings_rules.py), so adding an intent is adding one entry.
The parsers for what a request is about (times, lengths, LinkedIn links, emails, names) are in entities.py.

Choices worth knowing:
- "hi jane?" is a lookup of "jane": a greeting followed by a name and a question mark is almost always a
  question about that person, and the bot has nothing else to say about a name. "hi jane" (no "?") is
  unknown, because nothing asks a question.
- A bare name is a lookup: "Jane Doe?" always, and "Jane Doe" without a "?" when the message is only two to
  four name-like words that are not everyday chat ("sounds good", "never mind"); "whois Jane" is "who is".
  A bare email address is a lookup with or without a "?".
- "why didn't Jane get a reminder?", "why no reminder for Jane?", "why wasn't Jane reminded?" and "why
  didn't you remind Jane?" all ask why_no_reminder.
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
  path under `https://www.linkedin.com/pub/`), and is taken out before the person is read.
"""

from bot.intents.entities import LINKEDIN, clean_query, find_linkedin, linkedin_profile
from bot.intents.grammar import IntentRule
from bot.intents.model import MAX_MESSAGE_CHARS, Intent, IntentName
from bot.intents.normalize import EDGE_SEPARATORS, Utterance, clean_text, visible_text
from bot.intents.rules import RULES, parse
from bot.intents.settings_rules import clock_hour, followup_days, minutes_in

__all__ = [
    "EDGE_SEPARATORS", "LINKEDIN", "MAX_MESSAGE_CHARS", "RULES", "Intent", "IntentName", "IntentRule", "Utterance",
    "clean_query", "clean_text", "clock_hour", "find_linkedin", "followup_days", "linkedin_profile", "minutes_in",
    "parse", "visible_text",
]
