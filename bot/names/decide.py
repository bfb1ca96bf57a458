"""Turns scored hits into one answer: the person, a short choice, or "no one" (with "did you mean").

The rule is to never name the wrong person with confidence. Scores come from `NameIndex.search`
(0..100, see bot/names/index.py for what each difference costs), so the thresholds below read as:

- MATCH when the best hit scores at least `MATCH_MIN` (90) and every other hit is at least
  `MARGIN` (8) points behind. 90 admits an exact name, a nickname (95), a middle name left out (97),
  a swapped pair of letters (jhon smith 95; jhon smiht 91), one wrong letter in a 5+ letter name
  (smyth 90.4, katherin 94.7) and a lone first or last name (92, so only when nobody else shares
  it). It rejects one wrong letter in a 4-letter name (mark→mary 88) and any unknown extra word (80).
  A gap of 8 separates an exact name from the same name with one wrong letter in a 5+ letter part
  (9.6 or more), but not from a nickname (5) or a sibling nickname (7): "bob smith" with both a
  Bob Smith and a Robert Smith on the roster asks which one.
- AMBIGUOUS when the best hit reaches `MATCH_MIN` but another is within `MARGIN`: the choices are the
  hits within `CHOICE_WINDOW` (12) of the best, best first, at most `limit`.
- NONE otherwise; "did you mean" suggestions are the hits scoring at least `SUGGEST_MIN` (75), at most
  `MAX_SUGGESTIONS`: a near miss such as a wrong letter in a short name or a nickname of a lone first
  name. A query far from everyone gets no suggestions.

Only scores (and ids, to merge duplicates) are read, so hits merged from several indexes decide the
same way as hits from one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot.names.index import Hit, NameIndex

MATCH_MIN: Final = 90.0
MARGIN: Final = 8.0
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
    if not ranked or ranked[0].score < MATCH_MIN:
        suggestions = [hit for hit in ranked if hit.score >= SUGGEST_MIN]
        return Resolution(Decision.NONE, tuple(suggestions[: min(max(limit, 0), MAX_SUGGESTIONS)]))
    top = ranked[0]
    if len(ranked) == 1 or ranked[1].score <= top.score - MARGIN:
        return Resolution(Decision.MATCH, (top,))
    choices = [hit for hit in ranked if hit.score >= top.score - CHOICE_WINDOW]
    return Resolution(Decision.AMBIGUOUS, tuple(choices[: max(limit, 2)]))


def resolve(query: str, indexes: Sequence[NameIndex], *, limit: int = 5) -> Resolution:
    """Search every index (one per ATS connection), merge the hits and decide."""
    per_index = max(limit * 2, 10)
    hits = [hit for index in indexes for hit in index.search(query, limit=per_index)]
    return decide(hits, limit=limit)


def _best_per_id(hits: Sequence[Hit]) -> list[Hit]:
    best: dict[int, Hit] = {}
    for hit in hits:
        known = best.get(hit.id)
        if known is None or hit.score > known.score:
            best[hit.id] = hit
    return sorted(best.values(), key=lambda hit: (-hit.score, hit.id))
