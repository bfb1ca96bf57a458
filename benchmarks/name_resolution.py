"""Benchmark for "Who is X?": NameIndex + decide against brute-force rapidfuzz over every full name.

Generates a synthetic roster (international first and last names with a long tail of rare surnames,
compound and accented names, nicknames as preferred names, emails and some exact duplicates) and a
mixed query set whose expected outcomes come from the generator, not from the code under test. Each
roster size runs in its own process so peak memory is measured per size.

    .venv/bin/python -m benchmarks.name_resolution            # 10k, 100k and 1M
    .venv/bin/python -m benchmarks.name_resolution --quick    # 10k only
    .venv/bin/python -m benchmarks.name_resolution --sizes 10000,100000 --queries 300
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import random
import resource
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
    "formatted",
    "reordered",
    "typo",
    "two_typos",
    "nickname",
    "last_only",
    "first_only",
    "duplicate",
    "absent",
    "email",
)


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


def make_roster(size: int, seed: int = 7) -> list[NameRecord]:
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
        email = f"{normalize_name(first).replace(' ', '')}.{normalize_name(last).replace(' ', '')}{number}"
        records.append(NameRecord(number + 1, first, last, preferred, (f"{email}@{rng.choice(DOMAINS)}",)))
    return records


def full_name(record: NameRecord) -> str:
    return f"{record.first_name} {record.last_name}"


# -- queries -----------------------------------------------------------------------------------


class QueryMaker:
    """Draws queries whose right answer is known from the roster itself (ground truth, not the index)."""

    def __init__(self, records: list[NameRecord], names: list[str], seed: int = 11) -> None:
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
        return self.typo(record, edits=2, min_length=9)

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
    kind = rng.choice(("swap", "drop", "double", "replace"))
    if kind == "swap":
        return word[: where - 1] + word[where] + word[where - 1] + word[where + 1 :]
    if kind == "drop":
        return word[:where] + word[where + 1 :]
    if kind == "double":
        return word[:where] + word[where] + word[where:]
    letter = rng.choice([c for c in "aeioustrnl" if c != word[where]])
    return word[:where] + letter + word[where + 1 :]


def make_queries(records: list[NameRecord], names: list[str], count: int) -> list[Query]:
    maker = QueryMaker(records, names)
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


def timed(run: Callable[[Query], Outcome], queries: Sequence[Query]) -> tuple[list[float], list[Outcome]]:
    latencies, outcomes = [], []
    for query in queries:
        started = time.perf_counter()
        outcome = run(query)
        latencies.append((time.perf_counter() - started) * 1000)
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


def run_size(size: int, query_count: int, baseline_limit: int) -> dict[str, object]:
    records = make_roster(size)
    names = [full_name(record) for record in records]
    ids = [record.id for record in records]
    queries = make_queries(records, names, query_count)
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
    per_category = {
        category: statistics.mean(
            correct(q, o) for q, o in zip(queries, outcomes, strict=True) if q.category == category
        )
        for category in CATEGORIES
        if any(q.category == category for q in queries)
    }
    misses = [
        f"  [{q.category}] {q.text!r}: expected {q.expected} {sorted(q.ids)[:3]}, got {o.decision} {o.ids[:3]}"
        for q, o in zip(queries, outcomes, strict=True)
        if not correct(q, o)
    ]
    return {
        "size": size,
        "queries": len(queries),
        "build_s": build_s,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "index_mb": index_mb,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "accuracy": accuracy,
        "base_queries": len(sampled),
        "base_p50": percentile(base_latencies, 0.5) if base_latencies else 0.0,
        "base_p99": percentile(base_latencies, 0.99) if base_latencies else 0.0,
        "base_accuracy": base_accuracy,
        "base_threshold": base_threshold,
        "ours_on_base_sample": statistics.mean(ours_on_sample) if ours_on_sample else 0.0,
        "per_category": per_category,
        "misses": misses,
        "add_us": add_us,
        "remove_us": remove_us,
    }


def print_table(results: list[dict[str, object]]) -> None:
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
        categories = ", ".join(f"{name} {value:.0%}" for name, value in r["per_category"].items())
        print(f"\n{r['size']:,} records, {r['queries']} queries; accuracy by kind: {categories}")
        for line in r["misses"][:15]:
            print(line)


def _worker(args: tuple[int, int, int]) -> dict[str, object]:
    return run_size(*args)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated roster sizes")
    parser.add_argument("--quick", action="store_true", help="10k records only")
    parser.add_argument("--queries", type=int, default=360, help="queries per size (split across kinds)")
    parser.add_argument("--baseline-queries", type=int, default=360, help="queries the slow baseline runs")
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [int(size.replace("_", "")) for size in args.sizes.split(",")]
    results = []
    context = multiprocessing.get_context("fork")
    for size in sizes:
        # A fresh process per size, so the peak memory reported belongs to that size alone.
        with context.Pool(1) as pool:
            results.append(pool.apply(_worker, ((size, args.queries, args.baseline_queries),)))
        done = results[-1]
        print(
            f"... {size:,}: build {done['build_s']:.1f}s, p99 {done['p99']:.2f} ms, accuracy {done['accuracy']:.1%}",
            flush=True,
        )
    print_table(results)


if __name__ == "__main__":
    main()
