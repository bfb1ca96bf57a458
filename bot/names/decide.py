"""Turns scored hits into one answer: the person, a short choice, or "no one" (with "did you mean").

The rule is to never name the wrong person with confidence. Scores come from `NameIndex.search`
(0..100, see bot/names/index.py for what each difference costs), so the thresholds below read as:

- MATCH when the best hit scores at least `MATCH_MIN` (90) and every other hit is at least
  `MARGIN` (8) points behind. 90 admits an exact name, a nickname (95), a middle name left out (97),
  a swapped pair of letters (jhon smith 95; jhon smiht 91), one wrong letter in a 5+ letter name
  (smyth 90.4, katherin 94.7) and a lone first or last name (92, so only when nobody else shares
  it). It rejects one wrong letter in a 4-letter name (mark→mary 88) and any unknown extra word (80).
  A gap of 8 separates an exact name from the same name with one wrong letter in a 5+ letter part
  (9.6 or more), but not from a nickname (5) or a sibling nickname (7): "rob smith" with both a
  Bob Smith and a Robert Smith on the roster asks which one.
- Never a match on a typo from a word that is itself a name ("name_typo"): "cynthia bauer" is not
  read as a slip for Cynthia Baker, as Cynthia Bauer may simply not be on the roster; she is
  suggested instead.
- An exact full name wins (`_literal`): when the typed name is one person's own given (or preferred)
  and family name, in either order, with at most a title, and nobody else's, that person is the
  answer however close the others come: "jonathan soto" is Jonathan Soto, not Nathan Soto (a
  nickname of Jonathan), "kathryn parker" is not Katherine Parker, "jose garcia" is José García and
  not José Luis García Márquez, "bob smith" is Bob Smith and not Robert Smith. Two people whose
  names both fit that way (two Bob Smiths, or a Robert Smith who goes by Bob) are a choice.
- A full name with up to two slips (`_lenient`): below `MATCH_MIN` but at least `LENIENT_MIN` (80),
  every word of the query matched (typos and order only, no nickname, no left-out or extra word),
  no slip in a word under 5 letters ("short_typo") or a typed word that is a name, and every other hit at
  least `LENIENT_GAP` (10) behind: "janrt wiillis" is Janet Willis, "jennifer csattro" Jennifer
  Castro. The index searches such queries widely (two edits from 6 letters), so anyone else as
  close is among the hits; two people with the same name are never `LENIENT_GAP` apart.
- AMBIGUOUS when the best hit reaches `MATCH_MIN` but another is within `MARGIN`: the choices are the
  hits within `CHOICE_WINDOW` (12) of the best, best first, at most `limit` (only the exact fits when
  the typed name is exactly the name of several people).
- NONE otherwise; "did you mean" suggestions are the hits scoring at least `SUGGEST_MIN` (75), at most
  `MAX_SUGGESTIONS`: a near miss such as a wrong letter in a short name or a nickname of a lone first
  name. A query far from everyone gets no suggestions.

Only scores, reasons (and ids, to merge duplicates) are read, so hits merged from several indexes
decide the same way as hits from one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot.names.index import CLOSE, Hit, NameIndex

MATCH_MIN: Final = CLOSE
MARGIN: Final = 8.0
LENIENT_MIN: Final = 80.0
LENIENT_GAP: Final = 10.0
CHOICE_WINDOW: Final = 12.0
SUGGEST_MIN: Final = 75.0
MAX_SUGGESTIONS: Final = 3


class Decision(StrEnum):
    MATCH = "match"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class Resolution:
    """MATCH: exactly the one hit; AMBIGUOUS: ranked choices (2..limit); NONE: suggestions, maybe none."""

    decision: Decision
    hits: tuple[Hit, ...]


def decide(hits: Sequence[Hit], *, limit: int = 5) -> Resolution:
    """Pick the person, a choice, or nobody from hits gathered over any number of indexes."""
    ranked = _best_per_id(hits)
    if not ranked or ranked[0].score < MATCH_MIN or _another_name(ranked[0]):
        if ranked and _lenient(ranked[0]) and (len(ranked) == 1 or ranked[1].score <= ranked[0].score - LENIENT_GAP):
            return Resolution(Decision.MATCH, (ranked[0],))
        suggestions = [hit for hit in ranked if hit.score >= SUGGEST_MIN]
        return Resolution(Decision.NONE, tuple(suggestions[: min(max(limit, 0), MAX_SUGGESTIONS)]))
    top = ranked[0]
    if len(ranked) == 1 or ranked[1].score <= top.score - MARGIN:
        return Resolution(Decision.MATCH, (top,))
    if _literal(top):
        exact = [hit for hit in ranked if _literal(hit)]
        if len(exact) == 1:
            return Resolution(Decision.MATCH, (top,))
        ranked = exact  # the people the name fits exactly are the choice, not their look-alikes
    choices = [hit for hit in ranked if hit.score >= top.score - CHOICE_WINDOW]
    return Resolution(Decision.AMBIGUOUS, tuple(choices[: max(limit, 2)]))


def resolve(query: str, indexes: Sequence[NameIndex], *, limit: int = 5) -> Resolution:
    """Search every index (one per ATS connection), merge the hits and decide."""
    per_index = max(limit * 2, 10)
    hits = [hit for index in indexes for hit in index.search(query, limit=per_index)]
    return decide(hits, limit=limit)


# Reasons (see index._REASON_ORDER) that leave the typed name exactly this person's own name.
_LITERAL_PARTS: Final = frozenset({"exact", "reordered", "title", "email"})
# Reasons a two-slip full name may carry and still make a match.
_SLIP_PARTS: Final = frozenset({"typo", "reordered", "title"})


def _another_name(hit: Hit) -> bool:
    return "name_typo" in hit.reason.split("+")


def _literal(hit: Hit) -> bool:
    return set(hit.reason.split("+")) <= _LITERAL_PARTS


def _lenient(hit: Hit) -> bool:
    parts = set(hit.reason.split("+"))
    return hit.score >= LENIENT_MIN and "typo" in parts and parts <= _SLIP_PARTS


def _best_per_id(hits: Sequence[Hit]) -> list[Hit]:
    best: dict[int, Hit] = {}
    for hit in hits:
        known = best.get(hit.id)
        if known is None or hit.score > known.score:
            best[hit.id] = hit
    return sorted(best.values(), key=lambda hit: (-hit.score, hit.id))
