"""Benchmark for "Who is X?": NameIndex + decide against brute-force rapidfuzz over every full name.

Generates a synthetic roster (international first and last names with a long tail of rare surnames,
compound and accented names, nicknames as preferred names, emails and some exact duplicates) and a
mixed query set whose expected outcomes come from the generator, not from the code under test. Each
roster size runs in its own process so peak memory is measured per size.

The query set is held out: roster and queries are drawn from `--seed` (thresholds were tuned on other
seeds and on the hand-written examples in tests/test_names.py, none of which the generator uses). For
each kind of query it reports top-1 (the person for a match, a choice holding the people for an
ambiguous name, nobody for an absent one) and, separately, how many answers were confidently wrong: a
match naming someone the query did not mean, or a match where the right answer was a choice or nobody.

`--baseline-rev` runs the name resolution of an older commit (`git archive` of its bot/names, in a
subprocess) on the same roster and queries, so its figures print beside today's.

    .venv/bin/python -m benchmarks.name_resolution            # 10k, 100k and 1M
    .venv/bin/python -m benchmarks.name_resolution --quick    # 10k only
    .venv/bin/python -m benchmarks.name_resolution --sizes 10000,100000 --queries 300
    .venv/bin/python -m benchmarks.name_resolution --sizes 100000 --baseline-rev ad2a32d
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from bot.names import NameIndex, NameRecord, normalize_name, resolve
from bot.names.nicknames import related_given_names

FIRST_NAMES = """
James Robert John Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony
Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan
Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander
Patrick Frank Raymond Jack Dennis Jerry Tyler Aaron Henry Douglas Peter Adam Nathan Zachary Walter Kyle
Harold Carl Arthur Gerald Roger Keith Jeremy Terry Lawrence Sean Christian Albert Joe Ethan Austin Jesse
Willie Billy Bryan Bruce Jordan Ralph Roy Noah Dylan Eugene Wayne Alan Juan Louis Russell Gabriel Randy
Philip Harry Vincent Bobby Johnny Logan Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica
Sarah Karen Lisa Nancy Betty Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa
Deborah Stephanie Dorothy Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna
Pamela Nicole Samantha Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine Heather Diane
Olivia Julie Joyce Victoria Ruth Virginia Lauren Kelly Christina Joan Evelyn Judith Andrea Hannah Megan
Cheryl Jacqueline Martha Madison Teresa Gloria Sara Janice Ann Kathryn Abigail Sophia Frances Jean
Alice Judy Isabella Julia Grace Amber Denise Danielle Marilyn Beverly Charlotte Natalie Theresa Diana
José Jesús Francisco Alejandro Manuel Luis Carlos Javier Miguel Rafael Antonio Fernando Sergio Pablo
Jorge Alberto Roberto Eduardo Ignacio Guillermo Enrique Andrés Álvaro Rubén Íñigo Lucía Sofía Martina
María Carmen Dolores Pilar Isabel Ana Laura Paula Elena Marta Cristina Raquel Concepción Guadalupe Rocío
Begoña Ainhoa Nerea Iñaki Joaquín Ramón Ángel Óscar Héctor João Gonçalo Inês Conceição Thiago Lucas
Mateus Gabriela Beatriz Larissa Fernanda Camila Giuseppe Giovanni Francesco Marco Alessandro Matteo
Lorenzo Andrea Luca Chiara Giulia Francesca Alessia Federica Hans Klaus Jürgen Wolfgang Günter Stefan
Uwe Matthias Jörg Lukas Jonas Leon Felix Maximilian Sabine Ursula Monika Petra Jürgen Anke Birgit
Søren Bjørn Åsa Jens Lars Mette Sigrid Ingrid Astrid Björn Linnéa Håkan Łukasz Paweł Krzysztof Wojciech
Michał Katarzyna Małgorzata Agnieszka Zofia Piotr Tomasz Grzegorz Jakub Dmitry Sergei Vladimir Mikhail
Ivan Nikolai Yevgeny Olga Natalia Tatiana Ekaterina Anastasia Svetlana Irina Đorđe Dragan Milica Jelena
Nikola Zoran François Jean-Pierre Jean-Luc Amélie Hélène Élodie Céline Stéphane Benoît Loïc Gaëlle
Mohammed Ahmed Fatima Aisha Omar Youssef Hassan Layla Mariam Khalid Tariq Rania Priya Rahul Amit Anjali
Vikram Sanjay Deepika Arjun Kavya Rohan Sunita Ravi Wei Jing Li Ming Xiaoming Yan Hui Jun Lei Hiroshi
Yuki Haruto Sakura Kenji Aiko Takeshi Minh Thanh Linh Seo-yeon Ji-woo Min-jun Oluwaseun Chinedu Ngozi
Kwame Amara Zanele Thabo Siobhán Niamh Aoife Seán Ciarán Pádraig Eoin Ruairí Dagný Guðrún Þór Ólafur
"""

LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson
Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall
Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins
Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed
Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz
Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell
Sullivan Bell Coleman Butler Henderson Barnes Fisher Vasquez Simmons Romero Jordan Patterson Alexander
Hamilton Graham Reynolds Griffin Wallace West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina
García Martínez López González Rodríguez Fernández Pérez Sánchez Gómez Díaz Álvarez Muñoz Romero Navarro
Domínguez Gil Vázquez Serrano Ramírez Blanco Suárez Molina Castro Ortega Rubio Núñez Iglesias Peña
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter
Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Köhler Jørgensen
Nielsen Hansen Pedersen Andersen Larsen Sørensen Rasmussen Johansson Karlsson Nilsson Eriksson Lindqvist
Kowalski Nowak Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski
Łukaszewicz Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov Sokolov Mikhailov Novikov Fedorov Morozov
Volkov Petrović Jovanović Nikolić Đorđević Marković Rossi Russo Ferrari Esposito Bianchi Romano Colombo
Ricci Marino Greco Bruno Gallo Conti Costa Giordano Mancini Rizzo Lombardi Moretti Dubois Durand
Lefebvre Leroy Moreau Laurent Simon Michel Garnier Faure Rousseau Blanc Guérin Boyer Chevalier François
Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gonçalves Ribeiro Carvalho Almeida
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin Sato Suzuki Takahashi Tanaka
Watanabe Ito Yamamoto Nakamura Kobayashi Park Choi Jung Kang Cho Yoon Singh Kumar Sharma Gupta Shah
Mehta Reddy Iyer Nair Khan Ali Hussain Ahmed Rahman Haddad Nasser Mansour Okafor Adeyemi Mensah
Mwangi Dlamini O'Brien O'Connor O'Sullivan MacDonald McCarthy Ó Súilleabháin Nic Giolla
"""

COMPOUND_LAST_NAMES = """
García Márquez|van der Berg|de la Cruz|van den Bosch|de Souza|da Silva|dos Santos|Smith-Jones|
Lloyd-Webber|Fernández de Córdoba|von Neumann|Mac an tSaoir|ter Horst|Bonham Carter|Saint-Exupéry|
Al-Rashid|El-Amin|Ben David|de Vries|van Dijk|Le Roux|Della Rosa|Di Stefano|Ruiz-Tagle|Pérez-Reverte
"""

_SYLLABLE_TEXT = """
ka ro mi ta shi ne lo vi an dre el ko ma zu be ri sa to ven hal mor ber sten gar wick ley ham ton ford ing
ski ov ich ez ler man son sen berg stein feld dor vak ric mon tal bre cas tel lin dal pa nu ho ki ya sel
vor gun bal tre mas quin ost rud fen lak dru wen jar pol nis bor ari ebb ulf
"""
SYLLABLES = tuple(_SYLLABLE_TEXT.split())
DOMAINS = ("example.com", "mail.example.org", "corp.example.net", "example.co.uk")
CATEGORIES = (
    "exact",
    "exact_crowded",
    "formatted",
    "reordered",
    "accents",
    "typo",
    "two_typos",
    "nickname",
    "last_only",
    "first_only",
    "duplicate",
    "absent",
    "email",
)
DEFAULT_SEED = 2026
# Neighbouring keys on a QWERTY keyboard: most real slips hit one of these instead of the right letter.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


@dataclass(frozen=True)
class Query:
    text: str
    category: str
    expected: str  # "match", "ambiguous" or "none"
    ids: frozenset[int] = frozenset()


# -- roster ------------------------------------------------------------------------------------


def _zipf_weights(count: int, offset: int) -> list[float]:
    # A Zipf-Mandelbrot curve: with these offsets the commonest first name is ~1.4% of people and the
    # commonest surname ~0.7% (US census: James ~1.7% of men, Smith ~0.9%), then a long tail.
    return [1.0 / (rank + offset) for rank in range(1, count + 1)]


def _rare_surname(rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
    return word.capitalize()


def make_roster(size: int, seed: int = DEFAULT_SEED) -> list[NameRecord]:
    rng = random.Random(seed)
    firsts = list(dict.fromkeys(FIRST_NAMES.split()))
    lasts = list(dict.fromkeys(LAST_NAMES.split()))
    compounds = [name.strip() for name in COMPOUND_LAST_NAMES.split("|") if name.strip()]
    first_weights, last_weights = _zipf_weights(len(firsts), 20), _zipf_weights(len(lasts), 30)
    first_draws = rng.choices(firsts, first_weights, k=size)
    last_draws = rng.choices(lasts, last_weights, k=size)
    records: list[NameRecord] = []
    for number in range(size):
        first, last = first_draws[number], last_draws[number]
        roll = rng.random()
        if roll < 0.35:
            last = _rare_surname(rng)  # the long tail: most surnames in a big roster are rare
        elif roll < 0.38:
            last = rng.choice(compounds)
        elif roll < 0.40:
            first = f"{first} {rng.choice(firsts)}"  # a middle name
        preferred = None
        nicknames = [name for name, cost in related_given_names(normalize_name(first)).items() if cost < 6]
        if nicknames and rng.random() < 0.15:
            preferred = rng.choice(nicknames).capitalize()
        if records and rng.random() < 0.004:
            twin = rng.choice(records)  # people who share a full name
            first, last, preferred = twin.first_name, twin.last_name, twin.preferred_name
        elif records and rng.random() < 0.03:
            first, last, preferred = _look_alike(rng.choice(records), firsts, lasts, rng)
        email = f"{normalize_name(first).replace(' ', '')}.{normalize_name(last).replace(' ', '')}{number}"
        records.append(NameRecord(number + 1, first, last, preferred, (f"{email}@{rng.choice(DOMAINS)}",)))
    return records


def _look_alike(model: NameRecord, firsts: list[str], lasts: list[str], rng: random.Random) -> tuple[str, str, None]:
    """Someone whose name is close to another's without being it: Nathan Soto beside Jonathan Soto,
    Kathryn Parker beside Katherine Parker, José Luis García Márquez beside José García."""
    related = sorted(related_given_names(normalize_name(model.first_name)))
    kind = rng.choice(("variant", "variant", "middle", "second_surname"))
    if kind == "variant" and related:
        return rng.choice(related).capitalize(), model.last_name, None
    if kind == "second_surname":
        return model.first_name, f"{model.last_name} {rng.choice(lasts)}", None
    return f"{model.first_name} {rng.choice(firsts)}", model.last_name, None


def full_name(record: NameRecord) -> str:
    return f"{record.first_name} {record.last_name}"


# -- queries -----------------------------------------------------------------------------------


class QueryMaker:
    """Draws queries whose right answer is known from the roster itself (ground truth, not the index)."""

    def __init__(self, records: list[NameRecord], names: list[str], seed: int = DEFAULT_SEED + 1) -> None:
        self.rng = random.Random(seed)
        self.records = records
        self.names = [normalize_name(name) for name in names]
        self.by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.by_last: dict[str, list[NameRecord]] = defaultdict(list)
        for record in records:
            last = normalize_name(record.last_name)
            self.by_last[last].append(record)
            for given in {normalize_name(record.first_name), normalize_name(record.preferred_name or "")} - {""}:
                self.by_key[(given, last)].append(record.id)

    def ids_named(self, record: NameRecord) -> list[int]:
        return self.by_key[(normalize_name(record.first_name), normalize_name(record.last_name))]

    def confusable(self, text: str, owner: set[int], cutoff: float = 86) -> bool:
        """Some other record's full name is close to `text`: the right answer would be debatable."""
        found = process.extract(normalize_name(text), self.names, scorer=fuzz.ratio, score_cutoff=cutoff, limit=20)
        return any(self.records[position].id not in owner for _, _, position in found)

    def pick(self, accept: Callable[[NameRecord], Query | None], tries: int = 400) -> Query | None:
        for _ in range(tries):
            query = accept(self.rng.choice(self.records))
            if query is not None:
                return query
        return None

    def unique(self, record: NameRecord) -> bool:
        if len(self.ids_named(record)) != 1 or self.has_look_alike(record, record.last_name):
            return False
        return not self.confusable(full_name(record), {record.id})

    def has_look_alike(self, record: NameRecord, family: str) -> bool:
        """Someone else has a related given name (a shared word, a nickname) and a family name that
        shares a word with `family` or is within two edits of it: which one is meant is debatable."""
        family = normalize_name(family)
        given = set(normalize_name(f"{record.first_name} {record.preferred_name or ''}").split())
        related = given | {name for word in given for name in related_given_names(word)}
        for other in self.people_with_family_like(family):
            if other.id == record.id:
                continue
            other_given = set(normalize_name(f"{other.first_name} {other.preferred_name or ''}").split())
            if other_given & related:
                return True
        return False

    def people_with_family_like(self, family: str) -> list[NameRecord]:
        names = {
            hit
            for hit, _, _ in process.extract(
                family, self.last_names, scorer=Levenshtein.distance, score_cutoff=2, limit=None
            )
        }
        for word in family.split():
            names.update(self.families_with_word.get(word, ()))
        return [person for name in names for person in self.by_last[name]]

    @property
    def families_with_word(self) -> dict[str, set[str]]:
        if not hasattr(self, "_families_with_word"):
            self._families_with_word: dict[str, set[str]] = defaultdict(set)
            for name in self.by_last:
                for word in name.split():
                    self._families_with_word[word].add(name)
        return self._families_with_word

    def exact(self, record: NameRecord) -> Query | None:
        if not self.unique(record):
            return None
        return Query(full_name(record), "exact", "match", frozenset({record.id}))

    def exact_crowded(self, record: NameRecord) -> Query | None:
        """The exact full name of someone with look-alikes (Jonathan Soto beside Nathan Soto, José García
        beside José Luis García Márquez): nobody else has that very name, so it is them."""
        first, last = normalize_name(record.first_name), normalize_name(record.last_name)
        if len(self.ids_named(record)) != 1 or self.by_key.get((last, first)):
            return None  # someone shares the name, or has it the other way round: a real choice
        if not (self.has_look_alike(record, record.last_name) or self.confusable(full_name(record), {record.id})):
            return None  # no look-alike: that is the plain "exact" kind
        return Query(full_name(record), "exact_crowded", "match", frozenset({record.id}))

    def accents(self, record: NameRecord) -> Query | None:
        """An accented name typed on a keyboard without accents (José García as "Jose Garcia")."""
        text = full_name(record)
        if text.isascii() or not self.unique(record):
            return None
        plain = " ".join(normalize_name(part).title() for part in (record.first_name, record.last_name))
        return Query(plain, "accents", "match", frozenset({record.id}))

    def formatted(self, record: NameRecord) -> Query | None:
        if not self.unique(record):
            return None
        first, last = normalize_name(record.first_name), normalize_name(record.last_name)
        style = self.rng.choice(("last_comma", "upper", "spaced"))
        text = {
            "last_comma": f"{record.last_name}, {record.first_name}",
            "upper": f"{first.upper()} {last.upper()}",
            "spaced": f"  {record.first_name}   {record.last_name}!! ",
        }[style]
        return Query(text, "formatted", "match", frozenset({record.id}))

    def reordered(self, record: NameRecord) -> Query | None:
        if not self.unique(record):
            return None
        return Query(f"{record.last_name} {record.first_name}", "reordered", "match", frozenset({record.id}))

    def typo(self, record: NameRecord, edits: int = 1, min_length: int = 5) -> Query | None:
        if not self.unique(record):
            return None
        first, last = normalize_name(record.first_name), normalize_name(record.last_name)
        words = [w for w in (first, last) if len(w) >= min_length and " " not in w]
        if not words:
            return None
        target = self.rng.choice(words)
        changed = target
        for _ in range(edits):
            changed = _typo(changed, self.rng)
        if OSA.distance(changed, target) != edits:  # slips can cancel or overlap; keep exactly `edits`
            return None
        family = changed if target == last else last
        text = f"{changed if target == first else first} {family}"
        if self.confusable(text, {record.id}, cutoff=84) or self.has_look_alike(record, family):
            return None
        return Query(text, "typo" if edits == 1 else "two_typos", "match", frozenset({record.id}))

    def two_typos(self, record: NameRecord) -> Query | None:
        """Two slips: one in each name of 5+ letters ("Janrt Wiillis"), or both in one name of 6+ letters
        ("Jennifer Csattro"); only when nobody else's name is close to what was typed."""
        if not self.unique(record):
            return None
        first, last = normalize_name(record.first_name), normalize_name(record.last_name)
        if " " in first or " " in last:
            return None
        words = [first, last]
        if self.rng.random() < 0.5:
            if min(len(first), len(last)) < 5:
                return None
            changed = [_typo(word, self.rng) for word in words]
        else:
            where = self.rng.choice([i for i, word in enumerate(words) if len(word) >= 6] or [None])
            if where is None:
                return None
            changed = list(words)
            changed[where] = _typo(_typo(words[where], self.rng), self.rng)
        if sum(OSA.distance(a, b) for a, b in zip(changed, words, strict=True)) != 2:
            return None  # slips can cancel or overlap; keep exactly two
        text = " ".join(changed)
        if self.confusable(text, {record.id}, cutoff=80) or self.has_look_alike(record, changed[1]):
            return None
        return Query(text, "two_typos", "match", frozenset({record.id}))

    def nickname(self, record: NameRecord) -> Query | None:
        first, last = normalize_name(record.first_name), normalize_name(record.last_name)
        if record.preferred_name or not self.unique(record):
            return None
        nicknames = [n for n, cost in related_given_names(first).items() if cost < 6 and len(n) < len(first)]
        if not nicknames:
            return None
        nick = self.rng.choice(nicknames)
        as_nick = NameRecord(record.id, nick, record.last_name)
        if self.has_look_alike(as_nick, last) or self.confusable(f"{nick} {last}", {record.id}):
            return None
        return Query(f"{nick} {record.last_name}", "nickname", "match", frozenset({record.id}))

    def last_only(self, record: NameRecord) -> Query | None:
        last = normalize_name(record.last_name)
        if len(self.by_last[last]) != 1 or len(last) < 5:
            return None
        found = process.extract(last, self.last_names, scorer=fuzz.ratio, score_cutoff=80, limit=3)
        if len(found) > 1 or last in self.given_names:
            return None
        if any(self.families_with_word[word] != {last} for word in last.split()):
            return None  # another family name shares a word (García, García Márquez): both are meant
        if self.confusable(record.last_name, {record.id}):
            return None  # "Williams Kumar" reads as William Kumar with a typo just as well
        return Query(record.last_name, "last_only", "match", frozenset({record.id}))

    @property
    def given_names(self) -> set[str]:
        if not hasattr(self, "_given_names"):
            self._given_names = {normalize_name(r.first_name) for r in self.records}
        return self._given_names

    @property
    def last_names(self) -> list[str]:
        if not hasattr(self, "_last_names"):
            self._last_names = list(self.by_last)
        return self._last_names

    def first_only(self, record: NameRecord) -> Query | None:
        first = normalize_name(record.first_name)
        sharing = self.given_name_holders.get(first, [])
        if " " in first or len(sharing) < 2:
            return None
        return Query(record.first_name, "first_only", "ambiguous", frozenset(sharing))

    @property
    def given_name_holders(self) -> dict[str, list[int]]:
        if not hasattr(self, "_given_name_holders"):
            self._given_name_holders: dict[str, list[int]] = defaultdict(list)
            for person in self.records:
                self._given_name_holders[normalize_name(person.first_name)].append(person.id)
        return self._given_name_holders

    def duplicate(self, record: NameRecord) -> Query | None:
        ids = self.ids_named(record)
        if len(ids) < 2:
            return None
        return Query(full_name(record), "duplicate", "ambiguous", frozenset(ids))

    def absent(self, record: NameRecord) -> Query | None:
        text = f"{record.first_name} {_rare_surname(self.rng)}{self.rng.choice(('quist', 'zhov', 'wandt'))}"
        if self.confusable(text, set(), cutoff=75):
            return None
        return Query(text, "absent", "none")

    def email(self, record: NameRecord) -> Query | None:
        return Query(record.emails[0].upper(), "email", "match", frozenset({record.id}))


def _typo(word: str, rng: random.Random) -> str:
    where = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "replace", "neighbour"))
    if kind == "neighbour":
        near = _neighbours(word[where])
        return word[:where] + rng.choice(near) + word[where + 1 :] if near else word
    if kind == "swap":
        return word[: where - 1] + word[where] + word[where - 1] + word[where + 1 :]
    if kind == "drop":
        return word[:where] + word[where + 1 :]
    if kind == "double":
        return word[:where] + word[where] + word[where:]
    letter = rng.choice([c for c in "aeioustrnl" if c != word[where]])
    return word[:where] + letter + word[where + 1 :]


def _neighbours(letter: str) -> str:
    for row, keys in enumerate(_KEY_ROWS):
        column = keys.find(letter)
        if column >= 0:
            around = [keys[column - 1 : column], keys[column + 1 : column + 2]]
            for other in (row - 1, row + 1):
                if 0 <= other < len(_KEY_ROWS):
                    around.append(_KEY_ROWS[other][max(column - 1, 0) : column + 1])
            return "".join(around).replace(letter, "")
    return ""


def make_queries(records: list[NameRecord], names: list[str], count: int, seed: int = DEFAULT_SEED) -> list[Query]:
    maker = QueryMaker(records, names, seed + 1)
    per_category = max(1, count // len(CATEGORIES))
    queries = []
    for category in CATEGORIES:
        for _ in range(per_category):
            query = maker.pick(getattr(maker, category))
            if query is not None:
                queries.append(query)
    return queries


# -- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    decision: str
    ids: tuple[int, ...]


def correct(query: Query, outcome: Outcome) -> bool:
    if outcome.decision != query.expected:
        return False
    if query.expected == "match":
        return outcome.ids[0] in query.ids
    if query.expected == "ambiguous":
        return len(set(outcome.ids) & query.ids) >= min(2, len(query.ids))
    return True


def confidently_wrong(query: Query, outcome: Outcome) -> bool:
    """A match that names someone else, or a match where the answer was a choice or nobody."""
    if outcome.decision != "match":
        return False
    return query.expected != "match" or outcome.ids[0] not in query.ids


# Each query is timed this many times and its fastest run kept: on a shared machine a single run
# measures the neighbours' load as much as the query.
REPEATS = 3


def timed(run: Callable[[Query], Outcome], queries: Sequence[Query]) -> tuple[list[float], list[Outcome]]:
    latencies, outcomes = [], []
    for query in queries:
        fastest = float("inf")
        for _ in range(REPEATS):
            started = time.perf_counter()
            outcome = run(query)
            fastest = min(fastest, (time.perf_counter() - started) * 1000)
        latencies.append(fastest)
        outcomes.append(outcome)
    return latencies, outcomes


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def churn(index: NameIndex, size: int, count: int = 2000) -> tuple[float, float]:
    """Mean microseconds to add and to remove a record, as a sync does: pages of 100, a search between."""
    newcomers = make_roster(count, seed=size + 1)
    started = time.perf_counter()
    for number, record in enumerate(newcomers):
        index.add(NameRecord(size + 1 + number, record.first_name, record.last_name, None, record.emails))
        if number % 100 == 99:
            index.search(record.last_name)  # a query between pages pays for re-sorting new typo terms
    added = (time.perf_counter() - started) / count * 1e6
    started = time.perf_counter()
    for number in range(count):
        index.remove(size + 1 + number)
    return added, (time.perf_counter() - started) / count * 1e6


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def baseline_outcome(scores: list[tuple[str, float, int]], ids: list[int], threshold: float) -> Outcome:
    if not scores or scores[0][1] < threshold:
        return Outcome("none", ())
    if len(scores) > 1 and scores[1][1] >= scores[0][1] - 0.5:
        return Outcome("ambiguous", tuple(ids[position] for _, _, position in scores[:2]))
    return Outcome("match", (ids[scores[0][2]],))


# -- an older commit's name resolution, side by side --------------------------------------------

REPO = Path(__file__).resolve().parents[1]
# Runs in a subprocess whose import path starts at the given tree, so `bot.names` is that tree's code.
_RUNNER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bot.names import NameIndex, NameRecord, resolve
job = json.load(sys.stdin)
index = NameIndex(NameRecord(i, f, l, p, tuple(e)) for i, f, l, p, e in job["records"])
index.search("warm up")
out = []
for text in job["queries"]:
    fastest = float("inf")
    for _ in range(job["repeats"]):
        started = time.perf_counter()
        resolution = resolve(text, [index])
        fastest = min(fastest, (time.perf_counter() - started) * 1000)
    out.append([str(resolution.decision), [hit.id for hit in resolution.hits], fastest])
json.dump(out, sys.stdout)
"""


def export_names(rev: str, into: Path) -> Path:
    """`bot/names` as it was at `rev`, unpacked under `into`."""
    archive = subprocess.run(
        ["git", "archive", rev, "bot/__init__.py", "bot/names"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_tree(tree: Path, records: list[NameRecord], queries: Sequence[Query]) -> tuple[list[float], list[Outcome]]:
    """Resolve every query with the `bot.names` found under `tree`, timing each in a fresh process."""
    job = {
        "records": [[r.id, r.first_name, r.last_name, r.preferred_name, list(r.emails)] for r in records],
        "queries": [q.text for q in queries],
        "repeats": REPEATS,
    }
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(tree)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(done.stdout)
    return [row[2] for row in rows], [Outcome(row[0], tuple(row[1])) for row in rows]


def by_category(queries: Sequence[Query], outcomes: Sequence[Outcome]) -> dict[str, tuple[int, int, int]]:
    """Per kind of query: (queries, top-1 right, confidently wrong)."""
    table: dict[str, tuple[int, int, int]] = {}
    for category in CATEGORIES:
        pairs = [(q, o) for q, o in zip(queries, outcomes, strict=True) if q.category == category]
        if pairs:
            right = sum(correct(q, o) for q, o in pairs)
            table[category] = (len(pairs), right, sum(confidently_wrong(q, o) for q, o in pairs))
    return table


def run_size(size: int, query_count: int, baseline_limit: int, seed: int, old_tree: str | None) -> dict[str, Any]:
    records = make_roster(size, seed)
    names = [full_name(record) for record in records]
    ids = [record.id for record in records]
    queries = make_queries(records, names, query_count, seed)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    index = NameIndex(records)
    build_s = time.perf_counter() - started
    index.search("warm up")
    index_mb = rss_mb() - before

    def ours(query: Query) -> Outcome:
        resolution = resolve(query.text, [index])
        return Outcome(str(resolution.decision), tuple(hit.id for hit in resolution.hits))

    latencies, outcomes = timed(ours, queries)
    accuracy = statistics.mean(correct(q, o) for q, o in zip(queries, outcomes, strict=True))
    add_us, remove_us = churn(index, size)

    sampled = queries[:: max(1, len(queries) // baseline_limit)] if baseline_limit else []
    raw: list[list[tuple[str, float, int]]] = []
    base_latencies = []
    for query in sampled:
        started = time.perf_counter()
        raw.append(process.extract(query.text, names, scorer=fuzz.WRatio, limit=5))
        base_latencies.append((time.perf_counter() - started) * 1000)
    base_accuracy, base_threshold = 0.0, 0.0
    for threshold in (80.0, 85.0, 90.0, 95.0):  # the baseline gets its best threshold
        hits = [correct(q, baseline_outcome(r, ids, threshold)) for q, r in zip(sampled, raw, strict=True)]
        if hits and statistics.mean(hits) > base_accuracy:
            base_accuracy, base_threshold = statistics.mean(hits), threshold
    ours_on_sample = [correct(q, o) for q, o in zip(queries, outcomes, strict=True) if q in sampled]
    result: dict[str, Any] = {
        "size": size,
        "queries": len(queries),
        "build_s": build_s,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "index_mb": index_mb,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "accuracy": accuracy,
        "wrong": sum(confidently_wrong(q, o) for q, o in zip(queries, outcomes, strict=True)),
        "base_queries": len(sampled),
        "base_p50": percentile(base_latencies, 0.5) if base_latencies else 0.0,
        "base_p99": percentile(base_latencies, 0.99) if base_latencies else 0.0,
        "base_accuracy": base_accuracy,
        "base_threshold": base_threshold,
        "ours_on_base_sample": statistics.mean(ours_on_sample) if ours_on_sample else 0.0,
        "per_category": by_category(queries, outcomes),
        "misses": _misses(queries, outcomes),
        "add_us": add_us,
        "remove_us": remove_us,
    }
    if old_tree is not None:
        del index  # the two runs below each build their own, in a process holding nothing else
        # Latency is compared with both versions in the same kind of process (a fresh one holding only its
        # index): this process also holds the roster and the query generator, which slows its GC passes.
        now_latencies, _ = run_tree(REPO, records, queries)
        old_latencies, old_outcomes = run_tree(Path(old_tree), records, queries)
        result |= {
            "same_p50": percentile(now_latencies, 0.5),
            "same_p99": percentile(now_latencies, 0.99),
            "old_p50": percentile(old_latencies, 0.5),
            "old_p99": percentile(old_latencies, 0.99),
            "old_accuracy": statistics.mean(correct(q, o) for q, o in zip(queries, old_outcomes, strict=True)),
            "old_wrong": sum(confidently_wrong(q, o) for q, o in zip(queries, old_outcomes, strict=True)),
            "old_per_category": by_category(queries, old_outcomes),
        }
    return result


def _misses(queries: Sequence[Query], outcomes: Sequence[Outcome]) -> list[str]:
    return [
        f"  [{q.category}] {q.text!r}: expected {q.expected} {sorted(q.ids)[:3]}, got {o.decision} {list(o.ids[:3])}"
        + (" CONFIDENTLY WRONG" if confidently_wrong(q, o) else "")
        for q, o in zip(queries, outcomes, strict=True)
        if not correct(q, o)
    ]


def print_table(results: list[dict[str, Any]]) -> None:
    header = (
        f"{'size':>9} {'build s':>8} {'p50 ms':>7} {'p99 ms':>7} {'index MB':>9} {'peak MB':>8} {'accuracy':>9} | "
        f"{'base p50':>9} {'base p99':>9} {'base acc':>9} {'(thr, n)':>10} {'ours same n':>11} {'p50 x':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        speedup = float(r["base_p50"]) / float(r["p50"]) if r["p50"] else 0.0
        print(
            f"{r['size']:>9,} {r['build_s']:>8.1f} {r['p50']:>7.2f} {r['p99']:>7.2f} {r['index_mb']:>9.0f} "
            f"{r['peak_mb']:>8.0f} {r['accuracy']:>9.1%} | {r['base_p50']:>9.1f} {r['base_p99']:>9.1f} "
            f"{r['base_accuracy']:>9.1%} {r['base_threshold']:>4.0f}, {r['base_queries']:>3} "
            f"{r['ours_on_base_sample']:>11.1%} {speedup:>6.0f}"
        )
    for r in results:
        print(f"{r['size']:>9,}: add {r['add_us']:.0f} µs, remove {r['remove_us']:.0f} µs per record")
    for r in results:
        print_categories(r)
        for line in r["misses"][:20]:
            print(line)


def print_categories(r: dict[str, Any]) -> None:
    """Top-1 and confidently wrong per kind of query, today's beside the older commit's when it ran."""
    old = r.get("old_per_category")
    print(f"\n{r['size']:,} records, {r['queries']} held-out queries")
    print(f"  {'kind':<14} {'n':>4} {'top-1':>7} {'wrong':>6}" + (f" | {'before':>7} {'wrong':>6}" if old else ""))
    rows = list(r["per_category"].items())
    rows.append(("all", (r["queries"], round(float(r["accuracy"]) * int(r["queries"])), r["wrong"])))
    for name, (count, right, wrong) in rows:
        line = f"  {name:<14} {count:>4} {right / count:>7.1%} {wrong:>6}"
        if old:
            if name == "all":
                old_right, old_wrong = round(float(r["old_accuracy"]) * count), r["old_wrong"]
            else:
                _, old_right, old_wrong = old[name]
            line += f" | {old_right / count:>7.1%} {old_wrong:>6}"
        print(line)
    if old:
        print(
            f"  latency p50/p99 ms, each in a fresh process: now {r['same_p50']:.2f}/{r['same_p99']:.2f}, "
            f"before {r['old_p50']:.2f}/{r['old_p99']:.2f}"
        )


def _worker(args: tuple[int, int, int, int, str | None]) -> dict[str, Any]:
    return run_size(*args)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated roster sizes")
    parser.add_argument("--quick", action="store_true", help="10k records only")
    parser.add_argument("--queries", type=int, default=390, help="queries per size (split across kinds)")
    parser.add_argument("--baseline-queries", type=int, default=360, help="queries the slow baseline runs")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="roster and query seed (held out)")
    parser.add_argument("--baseline-rev", help="also run bot/names of this git commit on the same queries")
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [int(size.replace("_", "")) for size in args.sizes.split(",")]
    results = []
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory(prefix="names-baseline-") as scratch:
        old_tree = str(export_names(args.baseline_rev, Path(scratch))) if args.baseline_rev else None
        for size in sizes:
            # A fresh process per size, so the peak memory reported belongs to that size alone.
            with context.Pool(1) as pool:
                job = (size, args.queries, args.baseline_queries, args.seed, old_tree)
                results.append(pool.apply(_worker, (job,)))
            done = results[-1]
            print(
                f"... {size:,}: build {done['build_s']:.1f}s, p99 {done['p99']:.2f} ms, "
                f"accuracy {done['accuracy']:.1%}",
                flush=True,
            )
    print_table(results)


if __name__ == "__main__":
    main()
