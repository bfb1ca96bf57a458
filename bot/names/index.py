"""In-memory name index: finds the few candidates a name query can mean without scoring the whole roster.

Layout (compact enough for a million candidates):
- one vocabulary of interned normalized strings ("terms"): whole name fields ("anne marie"), their
  tokens ("anne", "marie") and joined forms ("annemarie"), each with a reference count;
- two roles, given names (first and preferred) and family names, each mapping a field term to an
  `array` of record slots, and a token term to an `array` of the multi-word fields that contain it;
- per record slot, parallel `array`s of its id, first/preferred/last field terms and email hash;
- for typos, every space-free term of 4+ letters sorted by length, forwards and reversed: a string within
  one edit of the query shares its first half or its last half (within two edits, its first or last two
  letters; its first letter, for 6-7 letter terms in the wide search), so two bisections per length
  find the few worth checking with rapidfuzz's OSA distance.

A query is planned as "layouts": every way to cut its tokens into a given part and a family part
(either order), or one part alone. Each part is matched against the field terms it can reach (exact,
nickname, typo, joined/split words); a two-part layout then intersects the two sides' postings with
`set`s (in C) and scores only the slots on both. An initial ("j smith") can stand for too many names
to list, so that layout walks the other side best first and stops once the best possible hits are in;
a one-part layout takes the best few slots of its best fields. Hits that could not reach
`MIN_SCORE` (`WIDE_MIN_SCORE` in the wide search) are pruned before they are aligned.

A full name that finds nobody scoring `CLOSE` is searched a second time, wide: two edits allowed from
6 letters, and hits kept down to `WIDE_MIN_SCORE`, so a name with two slips is found together with
anyone else about as close (decide reads both to make a match or not).

Scores run 0..100 and depend only on the query and the record, never on the roster, so hits from
different indexes compare. Points come off a perfect 100 for each difference:
- nickname or formal spelling (Bob/Robert, Jon/John) 5; two nicknames of one name (Bob/Rob) 7;
- a typo: each substitution, insertion or deletion costs 48/len and each swap of neighbours 20/len
  (len = the longer word), allowed for 1 edit when the longer word has 4-7 letters and 2 from 8,
  never between names of 1-3 letters; a second slip in one word costs 80% of the first;
  so "jhon"→john costs 5, "katherin"→katherine 5.3, "szymaki"→szymanski 9.6, but "mark"→mary 12;
- the record's field has words the query left out (middle name, second surname) 3;
- an initial standing for a name 4; a stray single letter 5; a title or suffix left over 1;
  any other word of the query that matches nothing 20;
- family name typed first without a comma (or given name first with one) 2;
- words run together or split apart *and* misspelt ("vandenburg" for van den Berg) 3 on top of the typo;
- only a first name or only a last name was given 8, so a lone exact name scores 92.
A typo is reported as "typo", or as what makes it doubtful (decide reads the difference):
- "name_typo" when the typed word is itself a name (a word of someone's name on this roster, or a
  known given name): "cynthia bauer" may be a Cynthia Bauer not on the roster rather than a slip for
  Cynthia Baker, so it is a suggestion, not a match;
- "short_typo" when the longer word has under 5 letters: one slip is a quarter of the word, so it can
  join a match the usual way but never counts as a slip in a two-slip match.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b
from itertools import accumulate, chain
from typing import Final, cast

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from bot.names.nicknames import related_given_names
from bot.names.normalize import (
    NOISE_TOKENS,
    PreparedQuery,
    is_initial,
    normalize_email,
    normalize_name,
    prepare_query,
)

# (penalty in points, tags saying why) for one query part against one name field
_Match = tuple[float, frozenset[str]]

PERFECT: Final = 100.0
PARTIAL_FIELD: Final = 3.0
INITIAL: Final = 4.0
STRAY_INITIAL: Final = 5.0
NOISE_TOKEN: Final = 1.0
EXTRA_TOKEN: Final = 20.0
REORDERED: Final = 2.0
SPACING: Final = 3.0
SINGLE_FIELD: Final = 8.0
TYPO_EDIT: Final = 48.0
TYPO_SWAP: Final = 20.0
SECOND_SLIP: Final = 0.8
# A hit this good ends the search (decide.MATCH_MIN); below it, a full name is searched again more widely.
CLOSE: Final = 90.0
# Hits under this score are noise, not even worth a "did you mean" (decide.SUGGEST_MIN is not lower).
MIN_SCORE: Final = 75.0
# The wide search keeps hits down to this score: decide makes a two-slip match only when nobody else is
# within decide.LENIENT_GAP of it, so anyone that close has to be among the hits.
WIDE_MIN_SCORE: Final = 70.0

# Work caps that keep a query on a huge roster bounded; they only bite on pathological queries.
_FANOUT_CAP = 2000  # multi-word fields followed from one token ("de" in "de la cruz", "de souza", ...)
_SCAN_BUDGET = 600_000  # posting entries a query may touch across all its layouts
_MIN_FUZZY_LEN = 4
_TWO_EDITS_FROM = 8
_MOST_EDITS = 2  # the most max_edits() ever allows
_WIDE_TWO_EDITS_FROM = 6
# A typo in a word shorter than this may well be another name (mark/mary): see "short_typo" above.
_SURE_TYPO_LEN = 5
# Removed slots are dropped once they outnumber the records (and this many), so compaction is amortized O(1).
_COMPACT_AFTER = 4096
# Released typo-list terms are marked, and the lists pruned once more than this (and a quarter) are.
_PRUNE_AFTER = 4096
# Postings this long are kept in chunks of this size (see _Chunked).
_CHUNK_FROM = 2048
_CHUNK = 512

# A bulk load remembers this many raw spellings' normal forms (common names recur all through a roster).
_SPELLINGS_KEPT = 1 << 16

_TOP = "\U0010ffff"  # sorts after every string that starts with a given prefix


@dataclass(frozen=True)
class NameRecord:
    """One candidate as the index sees it."""

    id: int
    first_name: str
    last_name: str
    preferred_name: str | None = None
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A candidate a query may mean: score 0..100 and a short machine-readable reason ("exact", "typo", ...)."""

    id: int
    score: float
    reason: str


def max_edits(length: int, *, wide: bool = False) -> int:
    """Typos tolerated between two words, the longer of them this long: short names are too easy to
    turn into other names (no typo between 3-letter names; one edit up to 7 letters, then two).

    The wide search, tried only when the narrow one found nobody close, also allows two edits from
    6 letters ("csattro" for castro); 4 and 5 letters keep one, as two would change half the word.
    """
    if length < _MIN_FUZZY_LEN:
        return 0
    if length >= _WIDE_TWO_EDITS_FROM and wide:
        return 2
    return 1 if length < _TWO_EDITS_FROM else 2


def typo_penalty(query: str, term: str, distance: int) -> float:
    """Points a typo costs: swapped neighbours are a slip of the finger, a changed letter may be a new name.

    A second slip in the same (long) word costs `SECOND_SLIP` of the first: two slips in nine letters
    still say more about the name than about a different person.
    """
    swaps = max(0, Levenshtein.distance(query, term) - distance)
    edits = max(0, distance - swaps)
    costs = sorted([TYPO_EDIT] * edits + [TYPO_SWAP] * swaps, reverse=True)
    return (costs[0] + SECOND_SLIP * sum(costs[1:])) / max(len(query), len(term)) if costs else 0.0


class _Vocabulary:
    """Interned normalized strings with reference counts, plus the sorted lists typo lookups bisect."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}  # term -> id
        self._terms: list[str] = []
        self.refs = array("i")  # per term id: how many postings and multi-word fields (as a part) hold it
        self._free: list[int] = []
        self._forward: dict[int, _SortedTerms] = {}
        self._reversed: dict[int, _SortedTerms] = {}
        # Terms of a length appended during a bulk load (or before the first search), sorted in once.
        self._loose_forward: dict[int, list[str]] = {}
        self._loose_reversed: dict[int, list[str]] = {}
        self._unsorted: set[int] = set()
        # Released terms still in the typo lists: taking a word out of a list of a hundred thousand costs
        # a dozen string comparisons scattered over memory, so it is only marked (and skipped by `near`);
        # the lists are pruned once the marked make up a quarter of them, which keeps removal O(1) amortized.
        self._dropped: set[str] = set()
        self._dropped_reversed: set[str] = set()
        self._listed = 0  # terms in the typo lists, marked ones included
        # True while a bulk load appends terms unsorted (each bucket is then sorted once); otherwise a new
        # term is inserted in place, so a search between two additions never re-sorts a whole bucket.
        self.loading = False

    def id_of(self, term: str) -> int | None:
        return self.ids.get(term)

    def require(self, term: str) -> int:
        """The id of a term known to be held (a field's parts live as long as the field)."""
        return self.ids[term]

    def term(self, term_id: int) -> str:
        return self._terms[term_id]

    @property
    def terms(self) -> list[str]:
        """Every term by id (freed ids hold ""), for loops that look up many."""
        return self._terms

    def acquire(self, term: str) -> int:
        term_id = self.ids.get(term)
        if term_id is not None:
            self.refs[term_id] += 1
            return term_id
        if self._free:
            term_id = self._free.pop()
            self._terms[term_id] = term
            self.refs[term_id] = 1
        else:
            term_id = len(self._terms)
            self._terms.append(term)
            self.refs.append(1)
        self.ids[term] = term_id
        if self._fuzzy_searchable(term):
            if term in self._dropped:  # back before its list was pruned: it is still listed
                self._dropped.discard(term)
                self._dropped_reversed.discard(term[::-1])
            else:
                self._bucket_add(term)
        return term_id

    def release(self, term_id: int) -> None:
        self.refs[term_id] -= 1
        if self.refs[term_id] > 0:
            return
        term = self._terms[term_id]
        del self.ids[term]
        self._terms[term_id] = ""
        self._free.append(term_id)
        if self._fuzzy_searchable(term):
            self._dropped.add(term)
            self._dropped_reversed.add(term[::-1])
            if len(self._dropped) > max(_PRUNE_AFTER, self._listed // 4):
                self._prune()

    def near(self, token: str, *, wide: bool = False) -> Iterator[tuple[str, int]]:
        """Terms within the tolerated number of edits of `token` (not `token` itself), with the distance."""
        length = len(token)
        for size in range(max(length - 2, _MIN_FUZZY_LEN), length + 3):
            allowed = max_edits(max(length, size), wide=wide)
            if abs(size - length) > allowed or size not in self._forward:
                continue
            if allowed == 1:
                # One edit leaves either the first half or the second half of the token intact.
                head, tail = length // 2, length - 1 - length // 2
            else:
                # Two edits are found unless they touch both the first two and the last two letters;
                # in 6-7 letters, where only the wide search allows two, only when they touch both the
                # first letter and the last two (a 1-letter prefix costs too much on longer words).
                head, tail = (1 if max(length, size) < _TWO_EDITS_FROM else 2), 2
            prefix, suffix = token[:head], token[::-1][:tail]
            forward, backward = self._sorted(self._forward, size), self._sorted(self._reversed, size)
            yield from self._scan(token, prefix, forward, self._dropped, allowed, False)
            yield from self._scan(token[::-1], suffix, backward, self._dropped_reversed, allowed, True)

    @staticmethod
    def _scan(token: str, prefix: str, terms: _SortedTerms, dropped: set[str], allowed: int,
              backwards: bool) -> Iterator[tuple[str, int]]:
        found = terms.starting_with(prefix)
        if dropped:
            found = [term for term in found if term not in dropped]
        if not found:
            return
        # OSA distance is the same read backwards, so reversed terms are compared to the reversed token.
        for term, distance, _ in process.extract(
            token, found, scorer=OSA.distance, score_cutoff=allowed, limit=None
        ):
            if distance:
                yield (term[::-1] if backwards else term), int(distance)

    @staticmethod
    def _fuzzy_searchable(term: str) -> bool:
        return len(term) >= _MIN_FUZZY_LEN and " " not in term

    def _bucket_add(self, term: str) -> None:
        size = len(term)
        self._listed += 1
        if self.loading or size in self._unsorted or size not in self._forward:
            self._loose_forward.setdefault(size, []).append(term)
            self._loose_reversed.setdefault(size, []).append(term[::-1])
            if size not in self._forward:  # not setdefault: that would build an empty list per term
                self._forward[size] = _SortedTerms()
                self._reversed[size] = _SortedTerms()
            self._unsorted.add(size)  # sorted lazily: a bulk load then sorts each list once
        else:
            self._forward[size].add(term)  # two short binary searches, never a re-sort
            self._reversed[size].add(term[::-1])

    def _prune(self) -> None:
        """Take the released terms out of the typo lists: one pass over them, no sorting."""
        for size in list(self._forward):
            for lists, dropped in ((self._forward, self._dropped), (self._reversed, self._dropped_reversed)):
                lists[size] = _SortedTerms([term for term in self._sorted(lists, size) if term not in dropped])
        self._listed -= len(self._dropped)
        self._dropped.clear()
        self._dropped_reversed.clear()

    def sort_all(self) -> None:
        for size in list(self._unsorted):
            self._sorted(self._forward, size)

    def _sorted(self, lists: dict[int, _SortedTerms], size: int) -> _SortedTerms:
        if size in self._unsorted:
            for loose, kept in ((self._loose_forward, self._forward), (self._loose_reversed, self._reversed)):
                kept[size] = _SortedTerms(sorted(chain(kept[size], loose.pop(size, ()))))
            self._unsorted.discard(size)
        return lists[size]


class _SortedTerms:
    """A sorted list of strings kept as chunks, so inserting or removing one moves at most one chunk's
    tail (the typo lists of a big roster hold a hundred thousand terms of one length)."""

    __slots__ = ("_chunks", "_lasts")

    def __init__(self, ordered: Iterable[str] = ()) -> None:
        flat = list(ordered)
        self._chunks = [flat[start : start + _CHUNK] for start in range(0, len(flat), _CHUNK)]
        self._lasts = [chunk[-1] for chunk in self._chunks]

    def __iter__(self) -> Iterator[str]:
        return chain.from_iterable(self._chunks)

    def add(self, term: str) -> None:
        if not self._chunks:
            self._chunks.append([term])
            self._lasts.append(term)
            return
        where = min(bisect_left(self._lasts, term), len(self._chunks) - 1)
        chunk = self._chunks[where]
        insort(chunk, term)
        self._lasts[where] = chunk[-1]
        if len(chunk) > 2 * _CHUNK:
            self._chunks[where : where + 1] = [chunk[:_CHUNK], chunk[_CHUNK:]]
            self._lasts[where : where + 1] = [chunk[_CHUNK - 1], chunk[-1]]

    def starting_with(self, prefix: str) -> list[str]:
        """The terms that start with `prefix`, in order."""
        found: list[str] = []
        end = prefix + _TOP
        for where in range(bisect_left(self._lasts, prefix), len(self._chunks)):
            chunk = self._chunks[where]
            low = bisect_left(chunk, prefix) if not found else 0
            high = bisect_left(chunk, end, low)
            found.extend(chunk[low:high])
            if high < len(chunk):
                break
        return found


class _Chunked:
    """A long posting (thousands of "Smith"s) as a run of sorted chunks: appending never copies more
    than one chunk, where one long array copies itself whenever it outgrows its buffer. It is read like
    an array: len() and iteration (in C, chunk after chunk)."""

    __slots__ = ("_chunks", "_size")

    def __init__(self, slots: Iterable[int]) -> None:
        flat = array("i", slots)
        self._chunks = [flat[start : start + _CHUNK] for start in range(0, len(flat), _CHUNK)]
        self._size = len(flat)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[int]:
        return chain.from_iterable(self._chunks)

    def append(self, slot: int) -> None:
        """Add a slot larger than every other (new slots always are)."""
        if self._chunks and len(self._chunks[-1]) < _CHUNK:
            self._chunks[-1].append(slot)
        else:
            self._chunks.append(array("i", (slot,)))
        self._size += 1

_Posting = array | _Chunked


class _Role:
    """Postings of one role a name plays: given names (first and preferred) or family names.

    A posting is read only by iteration: an `array` of slots, or a `_Chunked` once long. Postings only
    grow: a removed record's slot stays in them as a hole (its name columns are -1, so no layout scores
    it) until `NameIndex._compact`, and `live` counts each posting's other slots. Taking a slot out of a
    posting would cost a dict lookup and a binary search over memory no other removal touched, which on
    a big roster is most of what a removal costs."""

    __slots__ = ("fields_with", "given", "live", "slots")

    def __init__(self, given: bool) -> None:
        self.given = given
        self.slots: dict[int, _Posting] = {}  # field term -> record slots, ascending (holes included)
        self.live = array("i")  # field term -> how many live slots its posting holds
        self.fields_with: dict[int, array] = {}  # token or joined-form term -> multi-word field terms

    def cover(self, field_id: int) -> None:
        """Make room in `live` for a field id (zeros, grown geometrically)."""
        live = self.live
        if field_id >= len(live):
            live.extend(bytes(max(field_id + 1 - len(live), len(live) // 2)))

    # Saved as three flat arrays per mapping: unpickling hundreds of thousands of small arrays one by
    # one is most of what loading a snapshot of a big roster would cost; slicing them back is cheaper.
    def __getstate__(self) -> tuple[bool, array, tuple[array, array, array], tuple[array, array, array]]:
        return self.given, self.live, _packed(self.slots), _packed(self.fields_with)

    def __setstate__(self, state: tuple[bool, array, tuple[array, array, array], tuple[array, array, array]]) -> None:
        self.given, self.live, slots, fields_with = state
        self.slots, self.fields_with = cast(dict[int, _Posting], _unpacked(slots)), _unpacked(fields_with)


def _packed(postings: dict[int, _Posting] | dict[int, array]) -> tuple[array, array, array]:
    """Keys, end offsets and all values of a dict of arrays, in the dict's order."""
    return (array("i", postings), array("q", accumulate(map(len, postings.values()))),
            array("i", chain.from_iterable(postings.values())))


def _unpacked(packed: tuple[array, array, array]) -> dict[int, array]:
    keys, ends, flat = packed
    return {key: flat[start:end] for key, start, end in zip(keys, chain((0,), ends), ends, strict=False)}


class NameIndex:
    """Candidates' names, findable by full name, part of it, nickname, typo or email."""

    def __init__(self, records: Iterable[NameRecord] = ()) -> None:
        self._vocab = _Vocabulary()
        self._given = _Role(given=True)
        self._family = _Role(given=False)
        self._ids = array("q")
        self._first = array("i")
        self._preferred = array("i")
        self._last = array("i")
        self._mail = array("q")
        self._more_mail: dict[int, tuple[int, ...]] = {}
        # Slots are never reused: a new record (or a new version of one) takes a slot after every other,
        # so each posting stays sorted by slot just by appending. Removed slots are holes, in the columns
        # and in the postings, until there are more holes than records; then `_compact` renumbers in order.
        self._holes: set[int] = set()
        # Derived from the columns above, built on first use: a process that loaded a snapshot to answer
        # one name question never pays for them (see __getstate__).
        self._slot_of: dict[int, int] | None = {}
        # Built once after a bulk load (in C, from the column), not address by address during it.
        self._mail_slots: dict[int, int | tuple[int, ...]] | None = None
        self._vocab.loading = True
        self._load(records)
        self._vocab.loading = False
        self._mails()
        self._vocab.sort_all()  # pay for ordering the typo lists at build time, not on the first query

    def __len__(self) -> int:
        return len(self._ids) - len(self._holes)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._slots()

    def record_ids(self) -> set[int]:
        return set(self._slots())

    def add(self, record: NameRecord) -> None:
        """Insert a record, or replace the one with the same id."""
        slot_of = self._slots()
        if record.id in slot_of:
            self.remove(record.id)  # may compact, which renumbers slots and drops the derived maps
            slot_of = self._slots()
        given, preferred, family = _record_fields(record)
        slot = len(self._ids)
        self._ids.append(record.id)
        given_id = self._attach(self._given, given, slot)
        self._first.append(given_id)
        self._preferred.append(-1 if preferred in ("", given) else self._attach(self._given, preferred, slot))
        self._last.append(self._attach(self._family, family, slot))
        hashes = _mail_hashes(record.emails)
        self._mail.append(hashes[0] if hashes else 0)
        if len(hashes) > 1:
            self._more_mail[slot] = hashes[1:]
        if self._mail_slots is not None:
            for mail in hashes:
                self._link_mail(mail, slot, self._mail_slots)
        slot_of[record.id] = slot

    def remove(self, record_id: int) -> None:
        """Forget a record; unknown ids are ignored (a webhook may delete what a sync never saw)."""
        slot = self._slots().pop(record_id, None)
        if slot is None:
            return
        self._detach(self._given, self._first[slot])
        self._detach(self._given, self._preferred[slot])
        self._detach(self._family, self._last[slot])
        # The email map is left alone: a slot it still names no longer holds the address (the column is
        # zeroed), and lookups check that. Unlinking would cost a miss in a million-entry dict per removal;
        # the stale entries are at most the holes, and compaction rebuilds the map without them.
        self._more_mail.pop(slot, None)
        self._first[slot] = self._preferred[slot] = self._last[slot] = -1
        self._mail[slot] = 0
        self._holes.add(slot)
        if len(self._holes) > max(_COMPACT_AFTER, len(self)):
            self._compact()

    def search(self, query: str, *, limit: int = 10) -> list[Hit]:
        """The best `limit` hits for a name or email query, best first."""
        if limit <= 0:
            return []
        prepared = prepare_query(query)
        if prepared.email is not None:
            return self._search_email(prepared.email, limit)
        named = [token for token in prepared.tokens if not is_initial(token) and token not in NOISE_TOKENS]
        if not named:
            return []  # nothing that names anyone
        hits = _QueryPlan(self, prepared).run(limit)
        if len(named) >= 2 and (not hits or hits[0].score < CLOSE):
            # Nobody is close: a full name may carry two slips the narrow search does not try. The wide
            # search finds them and, as importantly, anyone else as close, so decide can tell whether
            # the typed name points at one person. Only queries that found nobody close pay for it.
            hits = _QueryPlan(self, prepared, wide=True).run(limit)
        return hits

    # -- storage -------------------------------------------------------------------------------

    def _load(self, records: Iterable[NameRecord]) -> None:
        """add() for every record of a build, its lookups hoisted out of a loop that may run a million
        times, each common name normalized once, and the email map left to be built once at the end."""
        spellings = _Spellings()
        attach, given_role, family_role = self._attach, self._given, self._family
        slot_of, ids, first, alias, last, mail = self._columns()
        for record in records:
            if record.id in slot_of:
                self.add(record)  # a repeated id replaces the first; removal may compact, renumbering
                slot_of, ids, first, alias, last, mail = self._columns()
                continue
            if len(spellings) > _SPELLINGS_KEPT:
                spellings.clear()
            given, preferred, family = _record_fields(record, spellings)
            slot = len(ids)
            ids.append(record.id)
            first.append(attach(given_role, given, slot))
            alias.append(-1 if preferred in ("", given) else attach(given_role, preferred, slot))
            last.append(attach(family_role, family, slot))
            hashes = _mail_hashes(record.emails)
            mail.append(hashes[0] if hashes else 0)
            if len(hashes) > 1:
                self._more_mail[slot] = hashes[1:]
            slot_of[record.id] = slot
        for role in (given_role, family_role):
            role.slots.update([(field, _Chunked(slots)) for field, slots in role.slots.items()
                               if type(slots) is array and len(slots) >= _CHUNK_FROM])

    def _columns(self) -> tuple[dict[int, int], array, array, array, array, array]:
        return self._slots(), self._ids, self._first, self._preferred, self._last, self._mail

    def _slots(self) -> dict[int, int]:
        """Record id -> slot. Built in C from the id column: an id's newest slot is its live one."""
        if self._slot_of is None:
            slot_of = dict(zip(self._ids, range(len(self._ids)), strict=True))
            for hole in self._holes:
                if slot_of.get(self._ids[hole]) == hole:
                    del slot_of[self._ids[hole]]
            self._slot_of = slot_of
        return self._slot_of

    def _mails(self) -> dict[int, int | tuple[int, ...]]:
        """Email hash -> slot(s), built from the email columns the first time an address is looked up."""
        if self._mail_slots is None:
            mails = self._mail
            # In C: each address -> its last slot. Only addresses several records share need a second pass.
            # Without holes the id map holds every slot in order: its int objects are shared, not made
            # again (a million of them is 32 MB).
            slot_of = self._slot_of
            order = slot_of.values() if slot_of is not None and len(slot_of) == len(mails) else range(len(mails))
            last: dict[int, int] = dict(zip(mails, order, strict=True))
            last.pop(0, None)
            found = cast(dict[int, int | tuple[int, ...]], last)
            if len(last) < len(mails) - mails.count(0):
                earlier: dict[int, list[int]] = {}
                for slot, mail in enumerate(mails):
                    if mail and last[mail] != slot:
                        earlier.setdefault(mail, []).append(slot)
                for mail, slots in earlier.items():
                    found[mail] = (*slots, cast(int, found[mail]))
            for slot, more in self._more_mail.items():
                for mail in more:
                    self._link_mail(mail, slot, found)
            self._mail_slots = found
        return self._mail_slots

    def _compact(self) -> None:
        """Drop the holes, renumbering slots in their order so every posting stays sorted."""
        holes = self._holes
        keep = [slot for slot in range(len(self._ids)) if slot not in holes]
        renumber = array("i", [-1]) * len(self._ids)
        for new, old in enumerate(keep):
            renumber[old] = new
        for name in ("_ids", "_first", "_preferred", "_last", "_mail"):
            column: array = getattr(self, name)
            setattr(self, name, array(column.typecode, map(column.__getitem__, keep)))
        for role in (self._given, self._family):
            for field, slots in role.slots.items():
                role.slots[field] = array("i", [new for new in map(renumber.__getitem__, slots) if new >= 0])
        self._more_mail = {renumber[slot]: more for slot, more in self._more_mail.items()}
        holes.clear()
        self._slot_of = self._mail_slots = None

    def __getstate__(self) -> dict[str, object]:
        # The derived maps are left out: unpickling a dict of a million entries costs more than a cold
        # question should, and most cold processes never need them.
        state = dict(self.__dict__)
        state["_slot_of"] = state["_mail_slots"] = None
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    def _attach(self, role: _Role, field: str, slot: int) -> int:
        if not field:
            return -1
        vocab = self._vocab
        field_id = vocab.ids.get(field)
        slots = None if field_id is None else role.slots.get(field_id)
        if field_id is None or slots is None:
            # A posting holds its field's term (records count in `live`), so adding or removing one more
            # holder of a known name touches neither the vocabulary nor its reference counts.
            field_id = vocab.acquire(field)
            role.cover(field_id)
            role.live[field_id] = 1
            role.slots[field_id] = array("i", (slot,))
            for part in _field_parts(field):
                part_id = self._vocab.acquire(part)
                fields = role.fields_with.get(part_id)
                if fields is None:
                    role.fields_with[part_id] = array("i", (field_id,))
                else:
                    fields.append(field_id)
            return field_id
        # A bulk load appends to plain arrays (in C) and chunks the long ones once at the end; type()
        # first, as len() of a _Chunked is a Python call.
        if not vocab.loading and type(slots) is array and len(slots) >= _CHUNK_FROM:
            slots = role.slots[field_id] = _Chunked(slots)
        slots.append(slot)  # the newest slot: the posting stays sorted
        role.live[field_id] += 1
        return field_id

    def _detach(self, role: _Role, field_id: int) -> None:
        """A slot holding this field was removed: it stays in the posting as a hole (see _Role)."""
        if field_id < 0:
            return
        role.live[field_id] -= 1
        if not role.live[field_id]:
            del role.slots[field_id]  # nobody left: the field, and the terms it alone held, go now
            for part in _field_parts(self._vocab.term(field_id)):
                part_id = self._vocab.require(part)
                _drop(role.fields_with, part_id, field_id)
                self._vocab.release(part_id)
            self._vocab.release(field_id)

    def _link_mail(self, mail: int, slot: int, mail_slots: dict[int, int | tuple[int, ...]]) -> None:
        """Map an address to one more slot, dropping the slots that no longer hold it."""
        known = mail_slots.get(mail)
        if known is None:
            mail_slots[mail] = slot
            return
        kept = tuple(other for other in _as_tuple(known) if self._holds(other, mail))
        mail_slots[mail] = (*kept, slot) if kept else slot

    def _holds(self, slot: int, mail: int) -> bool:
        return self._mail[slot] == mail or mail in self._more_mail.get(slot, ())

    def _search_email(self, email: str, limit: int) -> list[Hit]:
        mail = _mail_hash(email)
        slots = [slot for slot in _as_tuple(self._mails().get(mail, ())) if self._holds(slot, mail)]
        return sorted((Hit(self._ids[slot], PERFECT, "email") for slot in slots), key=lambda hit: hit.id)[:limit]


class _QueryPlan:
    """One query against one index: its layouts, and caches shared by them."""

    def __init__(self, index: NameIndex, query: PreparedQuery, *, wide: bool = False) -> None:
        self._index = index
        self._wide = wide
        self._min_score = WIDE_MIN_SCORE if wide else MIN_SCORE
        self._most = PERFECT - self._min_score
        self._vocab = index._vocab
        self._tokens = query.tokens
        self._family_first = query.family_first
        self._near: dict[str, list[tuple[str, int]]] = {}
        self._token_match: dict[tuple[str, str, bool], tuple[float, str] | None] = {}
        self._fields: dict[tuple[int, int, bool, float], dict[int, _Match] | _InitialOf] = {}
        self._variant_cache: dict[tuple[str, bool], dict[int, tuple[float, str]]] = {}
        self._budget = _SCAN_BUDGET
        # slot -> (score, tags); tags are joined into the reason only for the hits returned
        self._best: dict[int, _Match] = {}

    def run(self, limit: int) -> list[Hit]:
        count = len(self._tokens)
        for cut in range(1, count):
            head, tail = (0, cut), (cut, count)
            self._pair(head, tail, self._family_first, limit)
            self._pair(tail, head, not self._family_first, limit)
        whole = (0, count)
        self._single(whole, self._index._given, "first_name_only", limit)
        self._single(whole, self._index._family, "last_name_only", limit)
        return self._hits(limit)

    # -- layouts -------------------------------------------------------------------------------

    def _pair(self, given_part: tuple[int, int], family_part: tuple[int, int], reordered: bool, limit: int) -> None:
        index = self._index
        given = self._lookup(given_part, index._given, self._most)
        family = self._lookup(family_part, index._family, self._most)
        if not given or not family:
            return
        scorer = _PairScorer(index, self._best, given, family, reordered)
        if isinstance(given, dict) and isinstance(family, dict):
            scorer.score(self._common_slots(given, family))
        elif isinstance(given, dict):
            self._walk_beside_initial(scorer, given, index._given, limit)
        elif isinstance(family, dict):
            self._walk_beside_initial(scorer, family, index._family, limit)

    def _walk_beside_initial(self, scorer: _PairScorer, fields: dict[int, _Match], role: _Role, limit: int) -> None:
        """One side is an initial (every name starting with a letter): walk the other side best first
        and stop once `limit` slots reached the best score still possible."""
        levels: dict[float, list[int]] = {}
        for field, (penalty, _) in fields.items():
            levels.setdefault(penalty, []).append(field)
        for penalty in sorted(levels):
            ceiling = scorer.base - penalty - INITIAL
            if self._count_at_least(ceiling) >= limit:
                return
            postings = [role.slots[field] for field in levels[penalty]]
            if not self._spend(sum(map(role.live.__getitem__, levels[penalty]))):
                return
            if scorer.score(chain.from_iterable(postings), ceiling, limit):
                return

    def _count_at_least(self, score: float) -> int:
        return sum(1 for known, _ in self._best.values() if known >= score)

    def _common_slots(self, given: dict[int, _Match], family: dict[int, _Match]) -> set[int]:
        """Slots in both sides' postings; the sets do the work in C, so only real pairs are scored."""
        index = self._index
        given_postings = [index._given.slots[field] for field in given]
        family_postings = [index._family.slots[field] for field in family]
        # Live slots only: holes cost the sets a little, but never the budget (answers do not depend on them).
        given_size = sum(map(index._given.live.__getitem__, given))
        family_size = sum(map(index._family.live.__getitem__, family))
        if not self._spend(given_size + family_size):
            return set()
        small, large = (
            (given_postings, family_postings) if given_size <= family_size else (family_postings, given_postings)
        )
        return set(chain.from_iterable(small)).intersection(chain.from_iterable(large))

    def _single(self, part: tuple[int, int], role: _Role, tag: str, limit: int) -> None:
        """Only one name was given: every slot of a field shares its score, so take the best few."""
        fields = self._lookup(part, role, self._most - SINGLE_FIELD)
        if not isinstance(fields, dict):
            return
        best, taken, floor, holes = self._best, 0, None, self._index._holes
        for field, (penalty, tags) in sorted(fields.items(), key=_by_penalty):
            score = PERFECT - SINGLE_FIELD - penalty
            if floor is not None and score < floor:
                return
            for slot in role.slots[field]:
                if slot in holes:
                    continue
                known = best.get(slot)
                if known is None or known[0] < score:
                    best[slot] = (score, tags | {tag})
                taken += 1
                if taken >= limit:
                    floor = score  # ties at this score may still come from other fields; nothing lower
                    break

    def _spend(self, slots: int) -> bool:
        if slots > self._budget:
            return False
        self._budget -= slots
        return True

    def _hits(self, limit: int) -> list[Hit]:
        ids = self._index._ids
        ranked = sorted(
            (
                (round(score, 1), ids[slot], tags)
                for slot, (score, tags) in self._best.items()
                if score >= self._min_score
            ),
            key=lambda entry: (-entry[0], entry[1]),
        )
        return [Hit(record_id, score, _reason(tags)) for score, record_id, tags in ranked[:limit]]

    # -- parts against fields ------------------------------------------------------------------

    def _lookup(self, part: tuple[int, int], role: _Role, most: float) -> dict[int, _Match] | _InitialOf:
        """Field terms of `role` the tokens in `part` can mean (costing at most `most`), with their match."""
        key = (*part, role.given, most)
        found = self._fields.get(key)
        if found is None:
            tokens = self._tokens[part[0] : part[1]]
            if len(tokens) == 1 and is_initial(tokens[0]):
                found = _InitialOf(tokens[0], self._vocab)
            elif all(is_initial(token) for token in tokens):
                found = {}  # "j r": nothing to look up; the other layouts still try each letter
            elif len(tokens) == 1:
                found = self._fields_for_word(tokens[0], role, most)
            else:
                found = self._fields_for_words(tokens, role, most)
            self._fields[key] = found
        return found

    def _fields_for_words(self, tokens: tuple[str, ...], role: _Role, most: float) -> dict[int, _Match]:
        """Several query words: fields reached by their words or joined form, aligned word by word.

        Each word the field was not reached by will cost at least `EXTRA_TOKEN`, so fields that
        cannot come in under `most` are dropped before the (slower) alignment.
        """
        needed = [token for token in dict.fromkeys(tokens) if not is_initial(token) and token not in NOISE_TOKENS]
        reached_by: dict[int, int] = {}
        for source in [*needed, "".join(tokens)]:
            weight = 1 if source in needed else len(needed)  # the joined form stands for every word
            for field in self._fields_reached(source, role):
                reached_by[field] = reached_by.get(field, 0) + weight
        scored = {}
        terms, given, joined = self._vocab.terms, role.given, "".join(tokens)
        match_token = self._matcher(given)
        for field, count in reached_by.items():
            if EXTRA_TOKEN * max(0, len(needed) - count) > most:
                continue
            match = self._field_match(tokens, joined, terms[field], match_token)
            if match is not None and match[0] <= most:
                scored[field] = match
        return scored

    def _fields_reached(self, source: str, role: _Role) -> set[int]:
        found: set[int] = set()
        for term_id in self._variants(source, role.given):
            if term_id in role.slots:
                found.add(term_id)
            fields = role.fields_with.get(term_id)
            if fields is not None and len(fields) <= _FANOUT_CAP:
                found.update(fields)
        return found

    def _fields_for_word(self, word: str, role: _Role, most: float) -> dict[int, _Match]:
        """One query word: a field scores as its best variant word, plus the words the query left out."""
        scored: dict[int, _Match] = {}
        terms = self._vocab.terms
        for term_id, (penalty, reason) in self._variants(word, role.given).items():
            tags = frozenset({reason})
            if term_id in role.slots:
                _keep_best(scored, term_id, penalty, tags)
            fields = role.fields_with.get(term_id)
            if not fields:
                continue
            # The inner loop runs for every multi-word field holding the word ("smith" in "smith jones"),
            # hundreds per question on a big roster: only locals, and the partial tags built once.
            term, partial = terms[term_id], tags | _PARTIAL
            for field in fields:
                left_out = _left_out(term, terms[field])
                cost = penalty + left_out
                if cost <= most:
                    known = scored.get(field)
                    if known is None or cost < known[0]:
                        scored[field] = (cost, partial if left_out else tags)
        return scored

    def _variants(self, token: str, given: bool) -> dict[int, tuple[float, str]]:
        """Terms a query token could stand for (itself, nicknames for given names, near typos), with cost."""
        key = (token, given)
        found = self._variant_cache.get(key)
        if found is not None:
            return found
        vocab, found = self._vocab, {}
        exact = vocab.id_of(token)
        if exact is not None:
            found[exact] = (0.0, "exact")
        names = list(related_given_names(token)) if given else []
        for term in [*names, *(term for term, _ in self._near_terms(token))]:
            term_id = vocab.id_of(term)
            if term_id is not None and term_id not in found:
                match = self._token(token, term, given)
                if match is not None:
                    found[term_id] = match
        self._variant_cache[key] = found
        return found

    def _near_terms(self, token: str) -> list[tuple[str, int]]:
        found = self._near.get(token)
        if found is None:
            # A word someone on the roster has is no slip: its near terms are looked up narrowly, which
            # is most of what keeps the wide search cheap ("jennifer" in "jennifer csattro").
            wide = self._wide and self._vocab.id_of(token) is None
            found = self._near[token] = list(self._vocab.near(token, wide=wide))
        return found

    def _field_match(self, tokens: tuple[str, ...], joined: str, field: str,
                     match_token: Callable[[str, str], tuple[float, str] | None]) -> _Match | None:
        """How well query tokens (`joined`: run together) match one field term, as (penalty, tags), or None;
        `match_token` compares one query token with one word of the field."""
        words = field.split()
        field_joined = "".join(words)
        if joined == field_joined:
            return 0.0, _EXACT
        best = _align(tokens, words, match_token)
        # Two edits at most: a joined form whose length is further off cannot match (nor need a cache entry).
        if (len(tokens) > 1 or len(words) > 1) and abs(len(joined) - len(field_joined)) <= _MOST_EDITS:
            # Typos across a word boundary, or a name typed as one word ("vandenburg") or split apart;
            # words run together *and* misspelt are two slips, so the spacing costs too.
            whole = self._token(joined, field_joined, False)
            if whole is not None:
                penalty = whole[0] + (SPACING if len(tokens) != len(words) else 0.0)
                if best is None or penalty < best[0]:
                    best = penalty, frozenset({whole[1]})
        return best

    def _matcher(self, given: bool) -> Callable[[str, str], tuple[float, str] | None]:
        """`_token` for one role, as a closure over its cache: alignment calls it for every word pair of
        hundreds of fields a question."""
        cache, token = self._token_match, self._token

        def match(query: str, term: str) -> tuple[float, str] | None:
            known = cache.get((query, term, given), _UNKNOWN)
            if known is not _UNKNOWN:
                return known
            if abs(len(query) - len(term)) > _MOST_EDITS and not (given and term in related_given_names(query)):
                return None  # too far apart for a typo, and no nickname: what _token_match would say
            return token(query, term, given)

        return match

    def _token(self, query: str, term: str, given: bool) -> tuple[float, str] | None:
        key = (query, term, given)
        known = self._token_match.get(key, _UNKNOWN)
        if known is not _UNKNOWN:
            return known
        result = _token_match(query, term, given, self._wide)
        if result is not None and result[1] == "typo":
            result = result[0], self._kind_of_typo(query, term)
        self._token_match[key] = result
        return result

    def _kind_of_typo(self, query: str, term: str) -> str:
        """A typed word that is itself a name may mean another person rather than a slip."""
        if self._vocab.id_of(query) is not None or related_given_names(query):
            return "name_typo"
        return "short_typo" if max(len(query), len(term)) < _SURE_TYPO_LEN else "typo"


class _PairScorer:
    """Scores slots for one two-part layout: the slot's given and family fields looked up on each side."""

    def __init__(
        self,
        index: NameIndex,
        best: dict[int, _Match],
        given: dict[int, _Match] | _InitialOf,
        family: dict[int, _Match] | _InitialOf,
        reordered: bool,
    ) -> None:
        self._index, self._best, self._given, self._family = index, best, given, family
        self.base = PERFECT - (REORDERED if reordered else 0.0)
        self._extra = frozenset({"reordered"}) if reordered else frozenset()

    def score(self, slots: Iterable[int], target: float = PERFECT + 1, wanted: int = 0) -> bool:
        """Record each slot's score; True as soon as `wanted` of them reached `target`."""
        index, best, given, family = self._index, self._best, self._given, self._family
        first, preferred, last, base, extra = index._first, index._preferred, index._last, self.base, self._extra
        reached = 0
        for slot in slots:
            other = family.get(last[slot])
            if other is None:
                continue
            mine = given.get(first[slot])
            alias = preferred[slot]
            if alias >= 0:
                via_alias = given.get(alias)
                if via_alias is not None and (mine is None or via_alias[0] < mine[0]):
                    mine = via_alias
            if mine is None:
                continue
            score = base - mine[0] - other[0]
            known = best.get(slot)
            if known is None or known[0] < score:
                best[slot] = (score, mine[1] | other[1] | extra)
            if score >= target:
                reached += 1
                if reached >= wanted:
                    return True
        return False


class _InitialOf:
    """An initial ("j smith"): it can stand for too many names to list, so each field is judged on demand."""

    def __init__(self, letter: str, vocab: _Vocabulary) -> None:
        self._letter, self._vocab = letter, vocab
        self._seen: dict[int, _Match | None] = {}

    def get(self, field: int, /) -> _Match | None:
        try:
            return self._seen[field]
        except KeyError:
            found = self._seen[field] = self._judge(field)
            return found

    def _judge(self, field: int) -> _Match | None:
        if field < 0:
            return None
        term, letter = self._vocab.term(field), self._letter
        if term == letter:
            return 0.0, _EXACT  # a one-letter name ("Ó"), typed in full
        if " " not in term:
            return (INITIAL, _INITIAL) if term.startswith(letter) else None
        if term.startswith(letter) or f" {letter}" in term:
            return INITIAL + PARTIAL_FIELD, _INITIAL_PARTIAL
        return None


_EXACT: Final = frozenset({"exact"})
_UNKNOWN: Final[tuple[float, str]] = (-1.0, "")  # not (yet) in a cache whose values may be None
_REASON_ORDER: Final = (
    "first_name_only",
    "last_name_only",
    "reordered",
    "nickname",
    "typo",
    "short_typo",
    "name_typo",
    "initial",
    "partial",
    "extra_words",
    "title",
)


def _token_match(query: str, term: str, given: bool, wide: bool = False) -> tuple[float, str] | None:
    if query == term:
        return 0.0, "exact"
    nickname = related_given_names(query).get(term) if given else None
    limit = max_edits(max(len(query), len(term)), wide=wide)
    if limit and abs(len(query) - len(term)) <= limit:
        distance = OSA.distance(query, term, score_cutoff=limit)
        if distance <= limit:
            penalty = typo_penalty(query, term, distance)
            if nickname is None or penalty < nickname:
                return penalty, "typo"
    return (nickname, "nickname") if nickname is not None else None


def _align(
    tokens: tuple[str, ...], words: list[str], match: Callable[[str, str], tuple[float, str] | None]
) -> _Match | None:
    """Pair each query token with its best unused field word; leftovers on either side cost points."""
    used = [False] * len(words)
    penalty, tags, matched = 0.0, set(), 0
    for token in tokens:
        if is_initial(token):
            where = next((i for i, w in enumerate(words) if not used[i] and w.startswith(token)), None)
            if where is None:
                penalty += STRAY_INITIAL
                tags.add("extra_words")
            else:
                used[where] = True
                penalty += INITIAL
                tags.add("initial")
                matched += 1
            continue
        choice = None
        for i, word in enumerate(words):
            if not used[i]:
                found = match(token, word)
                if found is not None and (choice is None or found[0] < choice[1]):
                    choice = (i, found[0], found[1])
        if choice is None:
            noise = token in NOISE_TOKENS
            penalty += NOISE_TOKEN if noise else EXTRA_TOKEN
            tags.add("title" if noise else "extra_words")
        else:
            used[choice[0]] = True
            penalty += choice[1]
            tags.add(choice[2])
            matched += 1
    if not matched:
        return None
    for taken, word in zip(used, words, strict=True):
        if not taken and word not in NOISE_TOKENS:
            penalty += PARTIAL_FIELD
            tags.add("partial")
            break
    return penalty, frozenset(tags)


def _reason(tags: frozenset[str]) -> str:
    named = [tag for tag in _REASON_ORDER if tag in tags]
    return "+".join(named) if named else "exact"


def _by_penalty(item: tuple[int, _Match]) -> float:
    return item[1][0]


_PARTIAL: Final = frozenset({"partial"})
_INITIAL: Final = frozenset({"initial"})
_INITIAL_PARTIAL: Final = frozenset({"initial", "partial"})


@lru_cache(maxsize=1 << 14)
def _left_out(part: str, field: str) -> float:
    """What it costs that a field has more words than the one (or the joined form) that matched.

    Cached: the same few words lead to the same multi-word fields question after question."""
    if field.replace(" ", "") == part:
        return 0.0
    for word in field.split():
        if word != part and word not in NOISE_TOKENS:
            return PARTIAL_FIELD
    return 0.0


def _keep_best(scored: dict[int, _Match], field: int, penalty: float, tags: frozenset[str]) -> None:
    known = scored.get(field)
    if known is None or penalty < known[0]:
        scored[field] = (penalty, tags)


def _drop(postings: dict, key: object, value: int) -> None:
    values = postings[key]
    values.remove(value)
    if not values:
        del postings[key]


def _record_fields(record: NameRecord, spellings: _Spellings | None = None) -> tuple[str, str, str]:
    first, alias, last = record.first_name or "", record.preferred_name or "", record.last_name or ""
    if spellings is None:
        given, preferred, family = normalize_name(first), normalize_name(alias), normalize_name(last)
    else:
        given, preferred, family = spellings[first], spellings[alias], spellings[last]
    if not family and " " in given:
        # Some ATSs put the whole name in first_name; its last word is the family name.
        given, family = given.rsplit(" ", 1)
    return given, preferred, family


class _Spellings(dict[str, str]):
    """Raw name -> normalize_name(raw), computed on first use: a bulk load meets the same names again and again."""

    def __missing__(self, raw: str) -> str:
        normal = self[raw] = normalize_name(raw)
        return normal


def _field_parts(field: str) -> tuple[str, ...]:
    """Terms that lead to a multi-word field: its words and its joined form ("van der berg"→"vanderberg")."""
    words = field.split()
    if len(words) < 2:
        return ()
    return tuple(dict.fromkeys((*words, "".join(words))))


def _mail_hash(email: str) -> int:
    return _normalized_mail_hash(normalize_email(email))


def _normalized_mail_hash(email: str) -> int:
    # 64-bit hashes instead of strings: a collision needs ~4 billion addresses, and it saves the
    # ~80 bytes a million stored address strings would each cost. Zero marks "no address". Not the
    # built-in hash(): that changes from process to process, and a snapshot outlives its process.
    digest = blake2b(email.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1


def _mail_hashes(emails: tuple[str, ...]) -> tuple[int, ...]:
    """A record's distinct address hashes, in its order (most records have one address)."""
    if len(emails) == 1:
        email = normalize_email(emails[0])
        return (_normalized_mail_hash(email),) if email else ()
    return tuple(dict.fromkeys(_normalized_mail_hash(e) for e in map(normalize_email, emails) if e))


def _as_tuple(value: int | tuple[int, ...]) -> tuple[int, ...]:
    return (value,) if isinstance(value, int) else value
