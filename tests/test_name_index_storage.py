"""NameIndex storage: removals, updates, compaction and saving do not change what a search answers.

An index changed record by record must answer exactly as one built from the surviving records in the
order they were last added (that order is the postings' order, which breaks ties between equal hits).
"""

from __future__ import annotations

import pickle
import random

import pytest

import bot.names.index as index_module
from bot.names import Hit, NameIndex, NameRecord

FIRST = ["Jane", "John", "Jon", "Robert", "Bob", "Katherine", "Anne Marie", "José", "Maria", "Wojciech", "Li"]
LAST = ["Doe", "Smith", "Smyth", "Szymanski", "van den Berg", "García", "Garcia", "Nowak", "O'Brien", "Lee"]
QUERIES = ["jane doe", "john smith", "jon smyth", "bob smith", "katherine szymanski", "kathrine szymansky",
           "anne marie van den berg", "vandenberg", "jose garcia", "maria", "smith", "j smith", "doe, jane",
           "wojciech nowak", "li lee", "nobody here", "x3@mail.test", "X17@MAIL.TEST"]


def record(rng: random.Random, record_id: int) -> NameRecord:
    return NameRecord(record_id, rng.choice(FIRST), rng.choice(LAST),
                      rng.choice([None, None, "Bob", "Kate"]), (f"x{rng.randrange(40)}@mail.test",))


def answers(index: NameIndex, limit: int) -> dict[str, list[Hit]]:
    return {query: index.search(query, limit=limit) for query in QUERIES}


@pytest.mark.parametrize("limit", [3, 500])
def test_changes_answer_like_a_build_in_the_same_order(limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "_COMPACT_AFTER", 8)  # compact often
    monkeypatch.setattr(index_module, "_CHUNK_FROM", 6)  # and keep most postings in chunks of 3
    monkeypatch.setattr(index_module, "_CHUNK", 3)
    rng = random.Random(5)
    index = NameIndex(record(rng, number) for number in range(60))
    latest = {number: record for number, record in enumerate(index_records(index))}
    for step in range(400):
        number = rng.randrange(90)
        if rng.random() < 0.4:
            index.remove(number)
            latest.pop(number, None)
        else:
            changed = record(rng, number)
            index.add(changed)
            latest.pop(number, None)
            latest[number] = changed  # an update moves the record to the end, like a new one
        if step % 50 == 0:
            index.search("jane doe")  # searches in between change nothing
    assert len(index) == len(latest)
    assert index.record_ids() == set(latest)
    assert answers(index, limit) == answers(NameIndex(latest.values()), limit)
    assert any(isinstance(slots, index_module._Chunked) for slots in index._family.slots.values())
    assert answers(pickle.loads(pickle.dumps(index)), limit) == answers(index, limit)


def index_records(index: NameIndex) -> list[NameRecord]:
    """The records as built, from the generator's seed (the index does not hand records back)."""
    rng = random.Random(5)
    return [record(rng, number) for number in range(len(index))]


def test_postings_stay_sorted_and_typo_lists_are_never_resorted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "_CHUNK_FROM", 4)
    monkeypatch.setattr(index_module, "_CHUNK", 2)
    rng = random.Random(9)
    index = NameIndex(record(rng, number) for number in range(50))
    vocab = index._vocab
    assert not vocab._unsorted
    for number in range(50, 120):
        index.add(NameRecord(number, f"Name{number:03d}x", f"Family{number:03d}y"))
        assert not vocab._unsorted  # a new term is inserted in place, not appended for a later re-sort
        index.remove(rng.randrange(50))
    for size, terms in vocab._forward.items():
        assert list(terms) == sorted(terms)
        assert list(vocab._reversed[size]) == sorted(vocab._reversed[size])
    for role in (index._given, index._family):
        for slots in role.slots.values():
            assert list(slots) == sorted(slots)
    assert index.search("name077x family077y")[0].id == 77


def test_a_loaded_index_builds_its_id_and_email_maps_on_first_use() -> None:
    rng = random.Random(3)
    index = NameIndex(record(rng, number) for number in range(30))
    loaded = pickle.loads(pickle.dumps(index))
    assert loaded._slot_of is None and loaded._mail_slots is None
    assert loaded.search("x3@mail.test") == index.search("x3@mail.test")
    loaded.remove(4)
    index.remove(4)
    assert 4 not in loaded and len(loaded) == len(index) == 29
    assert answers(loaded, 10) == answers(index, 10)


def test_an_address_follows_its_record_through_removals_updates_and_compaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(index_module, "_COMPACT_AFTER", 4)
    index = NameIndex(
        NameRecord(number, "Jane", f"Doe{number}", emails=(f"p{number}@mail.test",)) for number in range(8)
    )
    index.remove(1)  # the email map still names slot 1; the lookup must not
    assert index.search("p1@mail.test") == []
    index.add(NameRecord(2, "Jane", "Doe2", emails=("p1@mail.test",)))  # an update that takes another's address
    assert [hit.id for hit in index.search("p1@mail.test")] == [2]
    assert index.search("p2@mail.test") == []
    index.add(NameRecord(9, "John", "Roe", emails=("p1@mail.test", "P3@mail.test")))
    assert [hit.id for hit in index.search("p1@mail.test")] == [2, 9]
    assert [hit.id for hit in index.search("p3@mail.test")] == [3, 9]
    for number in (0, 4, 6, 3):  # the last makes more holes than records: compaction
        index.remove(number)
    assert not index._holes
    assert [hit.id for hit in index.search("p1@mail.test")] == [2, 9]
    assert [hit.id for hit in index.search("p3@mail.test")] == [9]


def test_released_typo_terms_are_never_found_and_pruned_lists_answer_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "_PRUNE_AFTER", 3)
    names = [f"Zyxwabc{letter}" for letter in "defghijk"]
    index = NameIndex(NameRecord(number, "Anna", name) for number, name in enumerate(names))
    index.remove(0)  # "zyxwabcd" leaves the vocabulary but stays listed, marked
    assert "zyxwabcd" in index._vocab._dropped
    assert all(hit.id != 0 for hit in index.search("anna zyxwabcq"))
    index.add(NameRecord(0, "Anna", "Zyxwabcd"))  # back again while still listed: found, and listed once
    assert index.search("anna zyxwabcd")[0].id == 0
    for number in range(1, 5):
        index.remove(number)  # the fourth marked term is past _PRUNE_AFTER: the lists are pruned
    assert not index._vocab._dropped
    fresh = NameIndex(NameRecord(number, "Anna", names[number]) for number in (5, 6, 7))
    fresh.add(NameRecord(0, "Anna", "Zyxwabcd"))
    for query in ("anna zyxwabcq", "zyxwabce", "anna zyxwabcj", "zyxwabck"):
        assert index.search(query) == fresh.search(query)
    forward = [term for terms in index._vocab._forward.values() for term in terms]
    assert sorted(forward) == sorted(set(forward)) == sorted(["anna", "zyxwabcd", "zyxwabci", "zyxwabcj", "zyxwabck"])


def test_removed_slots_stay_in_postings_as_holes_that_no_layout_scores() -> None:
    records = [NameRecord(number, "Maria", "Garcia") for number in range(6)]
    records += [NameRecord(10 + number, "M", "Garcia Lopez") for number in range(3)]
    index = NameIndex(records)
    for number in (0, 2, 4, 11):
        index.remove(number)
    for query in ("maria garcia", "garcia", "maria", "m garcia", "garcia, maria", "garcia lopez"):
        hits = index.search(query, limit=50)
        assert not {hit.id for hit in hits} & {0, 2, 4, 11}
        assert hits == NameIndex(r for r in records if r.id not in (0, 2, 4, 11)).search(query, limit=50)
