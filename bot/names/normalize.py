"""One canonical spelling for names and name queries, so "José", "JOSE" and "jose" meet in the index.

Both the index and every query go through `normalize_name`, which makes the comparison insensitive to
case, accents, stroke letters, apostrophes and punctuation. `prepare_query` also cleans what chat
platforms leave in a message (Slack link markup, emoji codes, control characters) and caps its size,
so hostile or pasted text costs no more than a normal name.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass

# A query longer than this is not a name; the tail is dropped before any work is done on it.
MAX_QUERY_CHARS = 200
# Longer names exist ("maria del carmen de la cruz garcia" has 7) but 6 tokens keep the query plan small.
MAX_QUERY_TOKENS = 6

# Letters NFKD does not decompose, spelled the way their speakers transliterate them.
_STROKE_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ŀ": "l",
        "ŋ": "n",
        "ƒ": "f",
        "ɨ": "i",
    }
)
# Apostrophes join the two sides: o'connor, o’connor and oconnor are the same name.
_APOSTROPHES = frozenset("'’‘ʼ`´ʻʹ′＇")

# ASCII fast path: apostrophes vanish, every other punctuation mark or control character becomes a space.
_ASCII_TABLE = str.maketrans(
    {
        **{ch: " " for ch in string.punctuation if ch not in "'`"},
        **{chr(code): " " for code in range(32)},
        "\x7f": " ",
        "'": None,
        "`": None,
    }
)

# Tokens that say something about a person but are not part of the name we index.
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam"})
SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})
NOISE_TOKENS = HONORIFICS | SUFFIXES

_SLACK_LINK = re.compile(r"<([^<>|]{0,400})(?:\|([^<>]{0,400}))?>")
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]{1,40}:")
_HTML_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#\d{1,6});")
_EMAIL = re.compile(r"[^\s<>@,;:\"()\[\]|]{1,64}@[^\s<>@,;:\"()\[\]|]{1,190}\.[^\s<>@,;:\"()\[\]|.]{1,63}")
# Work on at most this much raw text; the markup regexes stay linear and cheap on a 5,000-char paste.
_RAW_CAP = 2000


def normalize_name(text: str) -> str:
    """Casefold, strip diacritics, unify hyphens/apostrophes/whitespace and drop punctuation.

    José→jose, Łukasz→lukasz, Søren→soren, Straße→strasse, Đorđe→dorde, "Smith-Jones"→"smith jones",
    "O'Connor"→"oconnor". Letters of any script are kept; everything that is not a letter or digit
    separates tokens.
    """
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_TABLE).split())
    decomposed = unicodedata.normalize("NFKD", text.casefold()).translate(_STROKE_LETTERS)
    kept = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category[0] in "LN" or category == "Mc":
            kept.append(ch)
        elif category in ("Mn", "Me", "Cf") or ch in _APOSTROPHES:
            continue  # accents, zero-width joiners and direction marks carry no letters
        else:
            kept.append(" ")
    # NFC puts back together what NFKD split but we kept (Hangul syllables, for one).
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def normalize_email(text: str) -> str:
    """Email addresses compare case-insensitively and without surrounding spaces or brackets."""
    return text.strip().strip("<>").casefold()


@dataclass(frozen=True)
class PreparedQuery:
    """A cleaned query: either an email address, or name tokens in the order typed."""

    tokens: tuple[str, ...] = ()
    email: str | None = None
    # "garcía, josé": a comma after the first word means the family name came first.
    family_first: bool = False


def prepare_query(text: str) -> PreparedQuery:
    """Clean a chat message fragment into something the index can look up; never raises."""
    text = _strip_chat_markup(str(text)[:_RAW_CAP])
    email = _EMAIL.search(text)
    if email:
        return PreparedQuery(email=normalize_email(email.group(0).strip(".")))
    text = text[:MAX_QUERY_CHARS]
    before, comma, after = text.partition(",")
    family_first = bool(comma) and bool(normalize_name(before)) and bool(normalize_name(after))
    tokens = [piece for token in normalize_name(text.replace(",", " ")).split() for piece in _split_ideographs(token)]
    return PreparedQuery(tokens=tuple(_drop_leading_honorifics(tokens)[:MAX_QUERY_TOKENS]), family_first=family_first)


def is_initial(token: str) -> bool:
    """A lone letter of an alphabet ("j" in "j smith"); a lone ideograph such as 王 is a whole name."""
    return len(token) == 1 and not _is_ideograph(token)


def _is_ideograph(ch: str) -> bool:
    # CJK radicals to Yi syllables (kana, CJK ideographs), Hangul syllables, compatibility ideographs,
    # and the supplementary ideograph planes.
    code = ord(ch)
    return 0x2E80 <= code <= 0xA4CF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF or code >= 0x20000


def _split_ideographs(token: str) -> list[str]:
    """王小明 → 王 小 明: CJK names are written without spaces, so every cut between family and given
    name has to be tried; the index joins the characters back to compare with its fields."""
    if len(token) > 1 and all(_is_ideograph(ch) for ch in token):
        return list(token)
    return [token]


def _strip_chat_markup(text: str) -> str:
    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("mailto:"):
            return " " + target[len("mailto:") :] + " "
        if target[:1] in "@#!":  # a mention of a workspace user or channel is never a candidate's name
            return " "
        return " " + (label or "") + " "

    text = _SLACK_LINK.sub(link, text)
    text = _HTML_ENTITY.sub(" ", text)
    return _EMOJI_CODE.sub(" ", text)


def _drop_leading_honorifics(tokens: list[str]) -> list[str]:
    while len(tokens) > 1 and tokens[0] in HONORIFICS:
        tokens = tokens[1:]
    return tokens
