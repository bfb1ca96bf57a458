"""Who is X?: name normalization, the name index and the match/ambiguous/none decision, on real rosters."""

from __future__ import annotations

import random

import pytest
from rapidfuzz.distance import OSA

from bot.names import Decision, Hit, NameIndex, NameRecord, decide, normalize_name, resolve
from bot.names.decide import LENIENT_GAP, LENIENT_MIN, MARGIN, MATCH_MIN, SUGGEST_MIN
from bot.names.index import CLOSE, MIN_SCORE, WIDE_MIN_SCORE, _Vocabulary, max_edits
from bot.names.nicknames import known_given_names, related_given_names
from bot.names.normalize import MAX_QUERY_TOKENS, prepare_query

ROSTER = (
    NameRecord(1, "John", "Smith", emails=("John.Smith@Example.com", "jsmith@home.example")),
    NameRecord(2, "José", "García"),
    NameRecord(3, "Anne Marie", "Smith-Jones"),
    NameRecord(4, "Gabriel", "García Márquez"),
    NameRecord(5, "Jan", "van der Berg"),
    NameRecord(6, "Ana", "de la Cruz"),
    NameRecord(7, "Mary", "O'Connor"),
    NameRecord(8, "Katherine", "Zeta"),
    NameRecord(9, "Robert", "Lowell", preferred_name="Bob"),
    NameRecord(10, "William", "Turner"),
    NameRecord(11, "Jose", "Pereira"),
    NameRecord(12, "Søren", "Kierkegaard"),
    NameRecord(13, "Đorđe", "Balašević"),
    NameRecord(14, "Alexandra", "Ivanova"),
    NameRecord(15, "Francisco", "Madero"),
    NameRecord(16, "Margaret", "Thatcher"),
    NameRecord(17, "Christopher", "Columbus"),
    NameRecord(18, "Łukasz", "Straße"),
)


@pytest.fixture
def index() -> NameIndex:
    return NameIndex(ROSTER)


def outcome(query: str, index: NameIndex) -> tuple[Decision, list[int]]:
    resolution = resolve(query, [index])
    return resolution.decision, [hit.id for hit in resolution.hits]


# -- normalization -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("José", "jose"),
        ("Łukasz", "lukasz"),
        ("Søren", "soren"),
        ("Straße", "strasse"),
        ("Đorđe", "dorde"),
        ("  ANNE-MARIE   Smith–Jones ", "anne marie smith jones"),
        ("O'Connor", "oconnor"),
        ("O’Connor", "oconnor"),
        ("Dr. J.R.R. Tolkien!!", "dr j r r tolkien"),
        ("Zoë\u200b Saldaña", "zoe saldana"),
        ("\u202bمحمد\u202c", "محمد"),
        ("ＪＯＳＥ", "jose"),
        ("tab\tand\nnewline", "tab and newline"),
        ("", ""),
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_prepare_query_cleans_chat_markup_and_finds_emails() -> None:
    assert prepare_query("<mailto:Jane@Example.com|Jane@Example.com>").email == "jane@example.com"
    assert prepare_query("who? jane.doe+x@example.co.uk.").email == "jane.doe+x@example.co.uk"
    assert prepare_query("<@U123ABC> *jane* _smith_ :wave:").tokens == ("jane", "smith")
    assert prepare_query("<https://ats.example/c/1|Jane Smith>").tokens == ("jane", "smith")
    assert prepare_query("Dr. Jane Smith").tokens == ("jane", "smith")
    assert prepare_query("garcía, josé").family_first
    assert not prepare_query("josé garcía,").family_first
    assert len(prepare_query("a " * 3000).tokens) == MAX_QUERY_TOKENS


# -- nickname table ----------------------------------------------------------------------------


def test_nickname_table_is_large_and_symmetric() -> None:
    names = known_given_names()
    assert len(names) >= 300
    for name in names:
        for other, penalty in related_given_names(name).items():
            assert related_given_names(other)[name] == penalty


@pytest.mark.parametrize(
    ("short", "formal"),
    [
        ("bob", "robert"),
        ("rob", "robert"),
        ("robbie", "robert"),
        ("bobby", "robert"),
        ("liz", "elizabeth"),
        ("beth", "elizabeth"),
        ("betty", "elizabeth"),
        ("eliza", "elizabeth"),
        ("bill", "william"),
        ("will", "william"),
        ("billy", "william"),
        ("kate", "katherine"),
        ("katie", "catherine"),
        ("kathy", "katherine"),
        ("peggy", "margaret"),
        ("maggie", "margaret"),
        ("alex", "alexander"),
        ("sasha", "alexandra"),
        ("jim", "james"),
        ("jimmy", "james"),
        ("dick", "richard"),
        ("rick", "richard"),
        ("mike", "michael"),
        ("chris", "christopher"),
        ("chris", "christina"),
        ("pepe", "jose"),
        ("paco", "francisco"),
    ],
)
def test_nickname_pairs(short: str, formal: str) -> None:
    assert formal in related_given_names(short)
    assert short in related_given_names(formal)


# -- exact, order, multi-part names -------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["John Smith", "JOHN SMITH", "  john   smith ", "john smith!!", "*John Smith*", "Smith, John", "smith john"],
)
def test_exact_name_in_any_case_order_and_punctuation(query: str, index: NameIndex) -> None:
    assert outcome(query, index) == (Decision.MATCH, [1])


def test_comma_order_is_not_a_reordering(index: NameIndex) -> None:
    assert index.search("smith, john")[0] == Hit(1, 100.0, "exact")
    assert index.search("smith john")[0] == Hit(1, 98.0, "reordered")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("anne marie smith-jones", 3),
        ("Anne-Marie Smith Jones", 3),
        ("annemarie smithjones", 3),
        ("anne smith-jones", 3),
        ("gabriel garcia marquez", 4),
        ("García Márquez", 4),
        ("jan van der berg", 5),
        ("van der berg", 5),
        ("vanderberg", 5),
        ("jan vanderberg", 5),
        ("ana de la cruz", 6),
        ("de la cruz", 6),
        ("o'connor", 7),
        ("oconnor", 7),
        ("o connor", 7),
        ("mary o connor", 7),
        ("Mary O’Connor", 7),
    ],
)
def test_multi_part_hyphenated_and_apostrophe_names(query: str, expected: int, index: NameIndex) -> None:
    assert outcome(query, index) == (Decision.MATCH, [expected])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jose garcia", 2),
        ("José García", 2),
        ("garcía, josé", 2),
        ("soren kierkegaard", 12),
        ("dorde balasevic", 13),
        ("lukasz strasse", 18),
        ("Łukasz Straße", 18),
        ("josé pereira", 11),
    ],
)
def test_accents_both_ways(query: str, expected: int, index: NameIndex) -> None:
    assert outcome(query, index) == (Decision.MATCH, [expected])


def test_names_written_without_spaces_in_cjk_scripts() -> None:
    index = NameIndex(
        [
            NameRecord(1, "伟", "王"),
            NameRecord(2, "小明", "王"),
            NameRecord(3, "太郎", "山田"),
            NameRecord(4, "민준", "김"),
        ]
    )
    for query, expected in [("王伟", 1), ("王 伟", 1), ("王小明", 2), ("山田太郎", 3), ("山田 太郎", 3), ("김민준", 4)]:
        assert outcome(query, index) == (Decision.MATCH, [expected]), query
    assert outcome("王", index) == (Decision.AMBIGUOUS, [1, 2])
    assert prepare_query("山田太郎").tokens == ("山", "田", "太", "郎")


# -- typos -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jhon smith", 1),
        ("john smiht", 1),
        ("jhon smiht", 1),
        ("katherin zeta", 8),
        ("katherine zetta", 8),
        ("christofer columbus", 17),
        ("christopher colmbus", 17),
        ("margret thatcher", 16),
        ("alexandar ivanova", 14),
        ("soren kierkegard", 12),
        ("kathrene zeta", 8),
        ("soren kirkegaart", 12),
    ],
)
def test_one_or_two_typos_still_match(query: str, expected: int, index: NameIndex) -> None:
    decision, ids = outcome(query, index)
    assert (decision, ids) == (Decision.MATCH, [expected])
    assert "typo" in index.search(query)[0].reason


def test_typo_tolerance_is_proportionate_to_length() -> None:
    index = NameIndex([NameRecord(1, "Ann", "Lee"), NameRecord(2, "Jon", "Fox")])
    for query in ("amy lee", "jan fox", "ann lei", "jon fix"):
        assert not any("typo" in hit.reason for hit in index.search(query)), query
        assert resolve(query, [index]).decision is Decision.NONE
    assert [max_edits(n) for n in (1, 3, 4, 7, 8, 12)] == [0, 0, 1, 1, 2, 2]


def test_two_slips_in_an_eight_letter_name_match_only_when_nobody_else_is_close(index: NameIndex) -> None:
    assert outcome("margorat thatcher", index) == (Decision.MATCH, [16])
    crowded = NameIndex([*ROSTER, NameRecord(99, "Margaret", "Hatcher")])
    resolution = resolve("margorat thatcher", [crowded])
    assert (resolution.decision, [hit.id for hit in resolution.hits]) == (Decision.NONE, [16, 99])


def test_a_lone_name_with_a_typo_is_only_a_suggestion(index: NameIndex) -> None:
    resolution = resolve("kierkegard", [index])
    assert (resolution.decision, [hit.id for hit in resolution.hits]) == (Decision.NONE, [12])


def test_one_wrong_letter_in_a_short_name_is_only_a_suggestion() -> None:
    index = NameIndex([NameRecord(1, "Mary", "Smith")])
    resolution = resolve("mark smith", [index])
    assert resolution.decision is Decision.NONE
    assert [hit.id for hit in resolution.hits] == [1]


# -- nicknames and preferred names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bill turner", 10),
        ("will turner", 10),
        ("billy turner", 10),
        ("kate zeta", 8),
        ("kathy zeta", 8),
        ("peggy thatcher", 16),
        ("maggie thatcher", 16),
        ("sasha ivanova", 14),
        ("chris columbus", 17),
        ("paco madero", 15),
        ("pepe pereira", 11),
        ("bob lowell", 9),
        ("robert lowell", 9),
        ("rob lowell", 9),
        ("bobby lowell", 9),
    ],
)
def test_nicknames_and_preferred_names(query: str, expected: int, index: NameIndex) -> None:
    assert outcome(query, index) == (Decision.MATCH, [expected])


def test_nickname_in_the_record_found_by_formal_query() -> None:
    index = NameIndex([NameRecord(1, "Liz", "Taylor"), NameRecord(2, "Bob", "Dylan")])
    assert outcome("elizabeth taylor", index) == (Decision.MATCH, [1])
    assert outcome("robert dylan", index) == (Decision.MATCH, [2])
    assert index.search("elizabeth taylor")[0].reason == "nickname"


def test_preferred_name_counts_as_a_first_name(index: NameIndex) -> None:
    assert index.search("bob lowell")[0] == Hit(9, 100.0, "exact")
    assert outcome("bob", index) == (Decision.MATCH, [9])


def test_a_literal_bob_and_a_robert_are_each_found_by_their_own_name() -> None:
    index = NameIndex([NameRecord(1, "Bob", "Smith"), NameRecord(2, "Robert", "Smith")])
    assert outcome("bob smith", index) == (Decision.MATCH, [1])
    assert outcome("robert smith", index) == (Decision.MATCH, [2])
    assert outcome("rob smith", index) == (Decision.AMBIGUOUS, [2, 1])  # a nickname of both


# -- one name alone ----------------------------------------------------------------------------


def test_first_or_last_name_alone_matches_only_when_unique(index: NameIndex) -> None:
    assert outcome("katherine", index) == (Decision.MATCH, [8])
    assert outcome("thatcher", index) == (Decision.MATCH, [16])
    assert outcome("jose", index) == (Decision.AMBIGUOUS, [2, 11])
    assert outcome("garcia", index) == (Decision.AMBIGUOUS, [2, 4])


def test_shared_first_name_lists_the_people_who_share_it() -> None:
    index = NameIndex([NameRecord(i, "Priya", f"Surname{i}") for i in range(1, 9)] + [NameRecord(9, "Omar", "X")])
    resolution = resolve("priya", [index], limit=5)
    assert resolution.decision is Decision.AMBIGUOUS
    assert len(resolution.hits) == 5
    assert {hit.reason for hit in resolution.hits} == {"first_name_only"}
    assert {hit.id for hit in resolution.hits} <= set(range(1, 9))


def test_whole_name_in_first_name_field() -> None:
    index = NameIndex([NameRecord(1, "Grace Hopper", "")])
    assert outcome("grace hopper", index) == (Decision.MATCH, [1])
    assert outcome("hopper", index) == (Decision.MATCH, [1])


def test_initials_and_titles() -> None:
    index = NameIndex([NameRecord(1, "John", "Smith"), NameRecord(2, "Mary", "Smith"), NameRecord(3, "Ada", "Byron")])
    assert outcome("j smith", index) == (Decision.MATCH, [1])
    assert outcome("dr ada byron", index) == (Decision.MATCH, [3])
    assert outcome("ada byron phd", index) == (Decision.MATCH, [3])
    assert outcome("smith", index) == (Decision.AMBIGUOUS, [1, 2])


def test_middle_name_left_out_still_matches_when_unique() -> None:
    index = NameIndex([NameRecord(1, "Anne Marie", "Smith"), NameRecord(2, "Anne", "Jones")])
    assert outcome("anne smith", index) == (Decision.MATCH, [1])
    assert index.search("anne smith")[0].reason == "partial"


# -- email -------------------------------------------------------------------------------------


def test_email_is_an_exact_match_in_any_case(index: NameIndex) -> None:
    assert index.search("JOHN.smith@example.COM") == [Hit(1, 100.0, "email")]
    assert outcome("<mailto:jsmith@home.example|jsmith@home.example>", index) == (Decision.MATCH, [1])


def test_unknown_email_is_none_without_suggestions(index: NameIndex) -> None:
    assert resolve("john.smith@example.org", [index]).hits == ()
    assert resolve("john.smith@example.org", [index]).decision is Decision.NONE


def test_shared_email_is_a_choice() -> None:
    index = NameIndex([NameRecord(1, "A", "B", emails=("x@y.com",)), NameRecord(2, "C", "D", emails=("X@Y.com",))])
    assert outcome("x@y.com", index) == (Decision.AMBIGUOUS, [1, 2])
    index.remove(1)
    assert outcome("x@y.com", index) == (Decision.MATCH, [2])


# -- never the wrong person --------------------------------------------------------------------


def test_two_people_with_the_same_name_make_a_choice() -> None:
    index = NameIndex([NameRecord(1, "Wei", "Zhang"), NameRecord(2, "Wei", "Zhang"), NameRecord(3, "Li", "Wang")])
    assert outcome("wei zhang", index) == (Decision.AMBIGUOUS, [1, 2])


def test_close_call_between_spelling_and_typo_is_a_choice() -> None:
    index = NameIndex([NameRecord(1, "John", "Smith"), NameRecord(2, "Jon", "Smyth")])
    assert outcome("jon smith", index) == (Decision.AMBIGUOUS, [1, 2])
    assert outcome("john smith", index) == (Decision.MATCH, [1])
    assert outcome("jon smyth", index) == (Decision.MATCH, [2])


def test_exact_name_beats_a_one_letter_variant_by_the_margin() -> None:
    index = NameIndex([NameRecord(1, "John", "Smith"), NameRecord(2, "John", "Smyth")])
    first, second = index.search("john smith")[:2]
    assert first.score - second.score >= MARGIN
    assert outcome("john smith", index) == (Decision.MATCH, [1])


def test_far_query_is_none_without_suggestions(index: NameIndex) -> None:
    for query in ("xavier quintanilla", "zzzz qqqq", "hiring manager", "jane doe"):
        assert resolve(query, [index]) == resolve("", [index])
        assert resolve(query, [index]).hits == ()


def test_near_miss_is_none_with_suggestions(index: NameIndex) -> None:
    resolution = resolve("mary ann oconnor", [index])
    assert resolution.decision is Decision.NONE
    assert [hit.id for hit in resolution.hits] == [7]


# -- decide: thresholds at their boundaries -----------------------------------------------------


def test_decide_margin_boundary() -> None:
    assert decide([Hit(1, 98.0, "nickname"), Hit(2, 98.0 - MARGIN, "typo")]).decision is Decision.MATCH
    tight = decide([Hit(1, 98.0, "nickname"), Hit(2, 98.0 - MARGIN + 0.1, "typo")])
    assert tight.decision is Decision.AMBIGUOUS
    assert [hit.id for hit in tight.hits] == [1, 2]


def test_decide_match_threshold_boundary() -> None:
    assert decide([Hit(1, MATCH_MIN, "first_name_only")]).decision is Decision.MATCH
    below = decide([Hit(1, MATCH_MIN - 0.1, "nickname")])
    assert below.decision is Decision.NONE
    assert below.hits == (Hit(1, MATCH_MIN - 0.1, "nickname"),)


def test_decide_suggestion_threshold_boundary() -> None:
    resolution = decide([Hit(1, SUGGEST_MIN, "typo"), Hit(2, SUGGEST_MIN - 0.1, "typo")])
    assert resolution == decide([Hit(1, SUGGEST_MIN, "typo")])
    assert [hit.id for hit in resolution.hits] == [1]
    assert decide([]).hits == ()


def test_index_never_drops_a_hit_decide_could_show() -> None:
    assert MIN_SCORE <= SUGGEST_MIN <= MATCH_MIN - MARGIN
    assert WIDE_MIN_SCORE <= LENIENT_MIN - LENIENT_GAP  # a two-slip match sees everyone that close
    assert LENIENT_MIN < MATCH_MIN == CLOSE  # the wide search runs whenever a lenient match may follow


def test_decide_merges_the_same_id_and_limits_choices() -> None:
    hits = [Hit(1, 95.0, "nickname"), Hit(1, 97.0, "partial"), *(Hit(i, 96.0, "typo") for i in range(2, 10))]
    resolution = decide(hits, limit=3)
    assert resolution.decision is Decision.AMBIGUOUS
    assert resolution.hits == (Hit(1, 97.0, "partial"), Hit(2, 96.0, "typo"), Hit(3, 96.0, "typo"))
    assert decide([Hit(7, 100.0, "email"), Hit(7, 100.0, "email")]).decision is Decision.MATCH


def test_scores_compare_across_indexes() -> None:
    first = NameIndex([NameRecord(1, "Ravi", "Shankar"), NameRecord(2, "Ada", "Lovelace")])
    second = NameIndex([NameRecord(3, "Ravi", "Shankar"), *(NameRecord(i, "Ravi", f"Other{i}") for i in range(4, 40))])
    assert first.search("ravi shankar")[0].score == second.search("ravi shankar")[0].score
    assert outcome("ravi shankar", first) == (Decision.MATCH, [1])
    resolution = resolve("ravi shankar", [first, second])
    assert (resolution.decision, [hit.id for hit in resolution.hits]) == (Decision.AMBIGUOUS, [1, 3])


# -- add, replace, remove ----------------------------------------------------------------------


def test_add_replace_and_remove() -> None:
    index = NameIndex()
    assert len(index) == 0
    index.add(NameRecord(1, "Grace", "Hopper", emails=("grace@navy.example",)))
    index.add(NameRecord(2, "Alan", "Turing"))
    assert len(index) == 2
    assert outcome("grace hopper", index) == (Decision.MATCH, [1])
    index.add(NameRecord(1, "Grace", "Murray", emails=("gm@example.com",)))
    assert len(index) == 2
    assert outcome("grace hopper", index)[0] is Decision.NONE
    assert outcome("grace murray", index) == (Decision.MATCH, [1])
    assert index.search("grace@navy.example") == []
    assert index.search("gm@example.com") == [Hit(1, 100.0, "email")]
    index.remove(1)
    index.remove(999)
    assert len(index) == 1
    assert index.search("grace murray") == []
    assert index.search("murrey") == []  # the removed surname no longer answers typo lookups
    index.add(NameRecord(3, "Grace", "Murray"))
    assert outcome("grace murray", index) == (Decision.MATCH, [3])


def test_churn_leaves_the_index_as_if_freshly_built() -> None:
    rng = random.Random(5)
    firsts, lasts = ["Ana", "Bo", "Cyrus", "Dana", "Elif"], ["Ng", "Okafor", "Petrov", "van Dijk", "Quinn-Reyes"]
    live: dict[int, NameRecord] = {}
    index = NameIndex()
    for step in range(400):
        record_id = rng.randrange(60)
        if rng.random() < 0.3:
            index.remove(record_id)
            live.pop(record_id, None)
        else:
            record = NameRecord(record_id, rng.choice(firsts), rng.choice(lasts), emails=(f"p{step}@x.example",))
            index.add(record)
            live[record_id] = record
    fresh = NameIndex(live.values())
    assert len(index) == len(fresh) == len(live)
    for first in firsts:
        for last in lasts:
            query = f"{first} {last}"
            assert sorted(index.search(query, limit=50), key=lambda h: h.id) == sorted(
                fresh.search(query, limit=50), key=lambda h: h.id
            )
    for record in live.values():
        assert index.search(record.emails[0]) == [Hit(record.id, 100.0, "email")]


def test_typo_lookup_finds_exactly_the_terms_one_edit_away() -> None:
    rng = random.Random(3)
    words = {"".join(rng.choice("abcde") for _ in range(rng.randint(4, 7))) for _ in range(3000)}
    vocab = _Vocabulary()
    for word in words:
        vocab.acquire(word)
    for probe in [*sorted(words)[:150], "abc", "bad", "abcd", "eeeee", "abcdea"]:
        expected = {w for w in words if w != probe and OSA.distance(probe, w) <= max_edits(max(len(probe), len(w)))}
        assert {term for term, _ in vocab.near(probe)} == expected, probe


def test_typo_lookup_finds_two_edits_inside_long_words() -> None:
    rng = random.Random(4)
    words = {"".join(rng.choice("abcdefgh") for _ in range(rng.randint(8, 11))) for _ in range(2000)}
    vocab = _Vocabulary()
    for word in words:
        vocab.acquire(word)
    for word in sorted(words)[:200]:
        inner = list(word)
        for where in rng.sample(range(2, len(word) - 2), 2):  # two slips away from both ends
            inner[where] = "x"
        probe = "".join(inner)
        assert word in {term for term, _ in vocab.near(probe)}, (probe, word)


def test_wide_typo_lookup_finds_two_edits_that_spare_the_first_letter() -> None:
    rng = random.Random(6)
    words = {"".join(rng.choice("abcdefgh") for _ in range(rng.randint(6, 7))) for _ in range(2000)}
    vocab = _Vocabulary()
    for word in words:
        vocab.acquire(word)
    for word in sorted(words)[:200]:
        inner = list(word)
        for where in rng.sample(range(1, len(word)), 2):  # anywhere but the first letter, the last ones too
            inner[where] = "x"
        probe = "".join(inner)
        assert word in {term for term, _ in vocab.near(probe, wide=True)}, (probe, word)
        assert word not in {term for term, _ in vocab.near(probe)}  # the narrow search allows one edit here


# -- hostile input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "!!!???...",
        "\x00\x01\x1b[31m\x7f",
        "john " * 1000,
        "x" * 5000,
        "🙂🙂 👩‍💻",
        "‮htims nhoj‬",
        "שלום עולם",
        "'; DROP TABLE candidates; --",
        "<@U12345> <#C999|general> <!here> :tada:",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "%s%s%s%n",
        "@@@@",
        "a@b",
        "j",
        "j. r. r.",
        "mr",
        "jr",
    ],
)
def test_hostile_input_never_crashes(query: str, index: NameIndex) -> None:
    hits = index.search(query)
    assert all(isinstance(hit, Hit) and 0 <= hit.score <= 100 for hit in hits)
    assert resolve(query, [index]).decision is not Decision.MATCH or query.startswith("john")


def test_long_query_is_truncated_not_failed(index: NameIndex) -> None:
    assert outcome("john smith " + "x" * 5000, index)[1][:1] == [1]
    assert index.search("smith", limit=0) == []
