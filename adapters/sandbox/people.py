"""Provider-neutral people for every fake ATS: who they are, how they are reached, what they sent, how
far each of their candidacies got.

The people are awkward the way real recruiting data is: international names with accents, hyphens,
apostrophes and particles; nicknames and preferred names; planted duplicates (two John Smiths) and near
spellings (Jon Smyth, Jurgen Mueller); people without email; prospects without a job; every status.
Each fake renders them in its own API's shape (Greenhouse candidates with applications, Lever contacts
with opportunities...) and adds what only its provider has (jobs, stages, notes...).

The generator is deterministic for a seed, and fast: it avoids `random.choice` in its hot path so that
100k people take seconds.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple, TypeVar

from adapters.sandbox.people_names import (
    COMPANIES,
    COVER_NAMES,
    FAMILIES,
    LOCALE_BY_CODE,
    LOCALES,
    NICKNAMES,
    PHONE_TYPES,
    PLANTED,
    RESUME_NAMES,
    SCHOOLS,
    TAGS,
    TITLES,
    Locale,
)

T = TypeVar("T")
Planted = tuple[str, str, str | None, str, str | None]  # (first, last, preferred, locale code, employer)

# One status per candidacy. A lead has no job yet (a prospect, a sourced contact).
LEAD, ACTIVE, REJECTED, HIRED = "lead", "active", "rejected", "hired"
STATUSES = (LEAD, ACTIVE, REJECTED, HIRED)

# Planted people are spread over this share of the first slots, so a fake that stops early (Lever counts
# candidacies, not people) still meets all of them.
PLANTED_SPREAD = 0.8

_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                       "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"})


@lru_cache(maxsize=8192)
def ascii_fold(text: str) -> str:
    """Łukasz Wójcik -> Lukasz Wojcik: what people type in email addresses and URLs."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=8192)
def slug(text: str) -> str:
    """Lowercase ASCII letters and digits only: Anne-Marie O'Connor -> annemarieoconnor."""
    return "".join(ch for ch in ascii_fold(text).lower() if ch.isalnum())


class Contact(NamedTuple):
    """One email address, phone number or link, with its kind (personal/work, mobile/home/work,
    linkedin/portfolio/personal/blog)."""

    value: str
    kind: str


@dataclass(slots=True)
class Person:
    """Someone who applied or was sourced, before any provider's shape is put on them."""

    first: str
    last: str
    preferred: str | None
    locale: str  # a people_names.Locale code
    family: str  # the kind of work they do: a key of people_names.TITLES
    company: str | None
    title: str | None
    past_companies: tuple[str, ...]
    school: str | None
    city: str
    address: str | None  # a home address some profiles carry (the city, here)
    time_zone: str | None  # Rails-style name, as Greenhouse reports zones
    emails: list[Contact] = field(default_factory=list)
    phones: list[Contact] = field(default_factory=list)
    links: list[Contact] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    resume: str | None = None  # file name as uploaded
    cover_letter: str | None = None
    other_files: list[str] = field(default_factory=list)
    private: bool = False
    can_email: bool = True
    statuses: tuple[str, ...] = (ACTIVE,)  # one per candidacy, oldest first
    planted: bool = False

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


class PeopleGenerator:
    """Makes `Person`s, deterministically for a seed.

    `people(count)` makes them whole. A fake whose existing data must stay as it was (Greenhouse's, which
    tests were written against) passes its own `rng` and calls the steps itself, in its old order, between
    its own draws: `planted_slots`, `identity`, `profile`, `contact_details`, `files`, `tags` (`statuses`
    last, if it wants them). Fields added later (past employers, school, city) come from a second stream,
    so they never shift the first.

    `without_email` is the share of (unplanted) people with no email address.
    """

    def __init__(self, seed: int, *, rng: random.Random | None = None, without_email: float = 0.05,
                 second_candidacy: float = 0.15) -> None:
        self.rng = rng or random.Random(f"people:{seed}")
        self.random = self.rng.random
        self.extra = random.Random(f"people-extra:{seed}")
        self.without_email = without_email
        self.second_candidacy = second_candidacy
        self.emails_taken: set[str] = set()
        self._locale_weights = list(itertools.accumulate(loc.weight for loc in LOCALES))
        self._phone_layouts: dict[str, str] = {}

    def pick(self, seq: Sequence[T]) -> T:
        # seq[int(random() * len)] rather than random.choice: several times faster in the hot path.
        return seq[int(self.random() * len(seq))]

    def people(self, count: int, *, spread: float = PLANTED_SPREAD) -> list[Person]:
        """`count` people, the planted ones (as many as fit) at random slots among the first `spread` share."""
        slots = self.planted_slots(count, spread=spread)
        return [self.person(slots.get(index)) for index in range(count)]

    def person(self, planted: Planted | None = None) -> Person:
        """One whole person: a planted one, or a random one."""
        person = self.identity(planted)
        self.profile(person)
        self.contact_details(person)
        self.files(person)
        self.tags(person)
        self.statuses(person)
        return person

    # ----- the steps ---------------------------------------------------------------------------------
    def planted_slots(self, count: int, *, spread: float = 1.0) -> dict[int, Planted]:
        """Where the planted people go among `count` (as many as fit), within the first `spread` share."""
        if count < 0:
            raise ValueError("count must be zero or more")
        planted = PLANTED[:count]
        within = min(count, max(len(planted), math.ceil(count * spread)))
        return dict(zip(sorted(self.rng.sample(range(within), len(planted))), planted, strict=True))

    def identity(self, planted: Planted | None = None) -> Person:
        """A name (and preferred name) from a locale drawn by weight, or the planted person's."""
        if planted is not None:
            first, last, preferred, code, company = planted
            return _blank_person(first, last, preferred, LOCALE_BY_CODE[code], company, planted=True)
        locale = LOCALES[bisect.bisect(self._locale_weights, self.random() * self._locale_weights[-1])]
        firsts, lasts = self.pick(locale.groups)
        first = self.pick(firsts)
        nick = NICKNAMES.get(first)
        preferred = self.pick(nick) if nick and self.random() < 0.18 else None
        return _blank_person(first, self.pick(lasts), preferred, locale, None, planted=False)

    def profile(self, person: Person) -> None:
        """Kind of work, employer and title, privacy flags, time zone; then employers before and school."""
        rnd, pick, locale = self.random, self.pick, LOCALE_BY_CODE[person.locale]
        person.family = pick(FAMILIES)
        person.company = person.company or (pick(COMPANIES) if rnd() < 0.85 else None)
        person.title = pick(TITLES[person.family]) if person.company else None
        person.private = rnd() < 0.02
        person.can_email = rnd() > 0.03
        person.time_zone = pick(locale.time_zones) if rnd() < 0.7 else None
        extra = self.extra
        person.past_companies = tuple(extra.choice(COMPANIES) for _ in range(extra.randint(0, 2)))
        person.school = extra.choice(SCHOOLS) if extra.random() < 0.6 else None
        person.city = extra.choice(locale.cities)

    def contact_details(self, person: Person) -> None:
        """Emails (personal, some work), a phone, LinkedIn and other links, sometimes a home address."""
        rnd, pick, locale = self.random, self.pick, LOCALE_BY_CODE[person.locale]
        first, last = slug(person.first), slug(person.last)
        if person.planted or rnd() < 1.0 - self.without_email:
            person.emails.append(Contact(self._email(first, last, pick(locale.mail_domains)), "personal"))
        if person.company and rnd() < 0.3:
            domain = slug(person.company.split()[0]) + pick((".com", ".io", ".co"))
            person.emails.append(Contact(self._email(first, last, domain, work=True), "work"))
            if rnd() < 0.3:
                person.emails.reverse()
        if rnd() < 0.8:
            person.phones.append(Contact(self._digits(locale.phone), pick(PHONE_TYPES)))
        handle = f"{first}-{last}"
        if rnd() < 0.65:
            suffix = f"-{self.rng.getrandbits(24):06x}" if rnd() < 0.6 else ""
            person.links.append(Contact(f"https://www.linkedin.com/in/{handle}{suffix}", "linkedin"))
        if rnd() < 0.15:
            site = int(rnd() * 3)
            person.links.append(
                Contact(f"https://github.com/{first}{last[:4]}", "portfolio") if site == 0 else
                Contact(f"https://{first}{last}.dev", "personal") if site == 1 else
                Contact(f"https://medium.com/@{handle}", "blog"))
        if rnd() < 0.4:
            person.address = pick(locale.cities)

    def files(self, person: Person) -> None:
        """What they sent: usually a resume, often a cover letter, rarely something else."""
        rnd = self.random
        names = {"first": person.first, "last": person.last, "slug": slug(person.last)}
        if rnd() < 0.85:
            person.resume = self.pick(RESUME_NAMES).format(**names)
        if rnd() < 0.35:
            person.cover_letter = self.pick(COVER_NAMES).format(**names)
        if rnd() < 0.04:
            person.other_files.append("portfolio-links.txt")

    def tags(self, person: Person) -> None:
        roll = self.random()
        count = 0 if roll < 0.35 else 1 if roll < 0.7 else 2 if roll < 0.92 else 3
        if count:
            person.tags = self.rng.sample(TAGS, count)

    def statuses(self, person: Person) -> None:
        """One status per candidacy; some people have a second one."""
        person.statuses = (self._status(),) + ((self._status(),) if self.random() < self.second_candidacy else ())

    def _status(self) -> str:
        roll = self.random()
        return LEAD if roll < 0.06 else HIRED if roll < 0.11 else REJECTED if roll < 0.33 else ACTIVE

    def _email(self, f: str, last: str, domain: str, *, work: bool = False) -> str:
        style = int(self.random() * (3 if work else 7))
        if style == 0:
            local = f"{f}.{last}"
        elif style == 1:
            local = f"{f[:1]}{last}" if work else f"{f}{last}"
        elif style == 2:
            local = f if work else f"{f[:1]}.{last}"
        elif style == 3:
            local = f"{f}_{last}"
        elif style == 4:
            local = f"{last}.{f}"
        else:
            local = f"{f}{'.' if style == 5 else ''}{last}{int(self.random() * 30) + 70}"
        address = f"{local}@{domain}"
        while address in self.emails_taken:  # two John Smiths never share an address
            address = f"{local}{int(self.random() * 9999) + 2}@{domain}"
        self.emails_taken.add(address)
        return address

    def _digits(self, template: str) -> str:
        count = template.count("#")
        layout = self._phone_layouts.get(template) or self._phone_layouts.setdefault(
            template, template.replace("#", "{}"))
        return layout.format(*f"{int(self.random() * 10 ** count):0{count}d}")


def _blank_person(first: str, last: str, preferred: str | None, locale: Locale, company: str | None, *,
                  planted: bool) -> Person:
    return Person(first=first, last=last, preferred=preferred, locale=locale.code, family=FAMILIES[0],
                  company=company, title=None, past_companies=(), school=None, city=locale.cities[0],
                  address=None, time_zone=None, planted=planted)
