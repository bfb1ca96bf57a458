"""Who a BreezyHR connection acts as and in which company: the token (a personal access token, or one got
once by signing in with an email and password that are then forgotten), the company the routes are scoped
to (the only one the account has, or the one named at connect time), and the company's positions, which
every candidate route hangs off."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.breezyhr.client import BreezyClient, rows_of
from adapters.breezyhr.fields import as_text, as_time, id_of
from adapters.breezyhr.mapping import Company, to_company
from adapters.errors import AtsError, AuthError, ConfigError, MalformedResponse
from adapters.http import Clock

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FRESH_ENOUGH = 5.0  # seconds: a list read this recently is not read again, even when asked for a fresh one
POSITIONS_TTL = 60.0  # seconds a position list is reused (one sync reads it once): new positions show within a minute


def company_choices(companies: list[Company]) -> str:
    return "; ".join(f"{company.name} (id {company.remote_id})" for company in companies)


class BreezyAccount:
    """The token, company and positions of one connection, each fetched once and kept."""

    def __init__(self, client: BreezyClient, *, settings: Mapping[str, Any], email: str | None,
                 password: str | None, clock: Clock) -> None:
        self.client = client
        self.wanted_company = as_text(settings.get("company"))
        self._email = email
        self._password = password
        self._clock = clock
        self.signed_in = False
        self._company: Company | None = None
        friendly = as_text(settings.get("company_friendly_id"))
        if self.wanted_company and friendly:  # stored at connect time: no need to ask again
            self._company = Company(self.wanted_company, as_text(settings.get("company_name")) or friendly, friendly)
        self._positions: list[dict[str, Any]] | None = None
        self._positions_at = 0.0

    @property
    def known_company(self) -> Company | None:
        """The company, once picked (or as the settings stored it)."""
        return self._company

    async def ensure_token(self) -> None:
        """Sign in once with the email and password when no token was given; the password is then dropped."""
        if self.client.token:
            return
        if not (self._email and self._password):
            raise ConfigError("BreezyHR needs a personal access token, or an email and password to sign in with.")
        try:
            reply = await self.client.send("POST", "/signin", authorised=False,
                                           json_body={"email": self._email, "password": self._password})
        except AtsError as exc:
            if exc.status in (400, 401, 403, 404):
                raise AuthError(f"BreezyHR refused the sign-in ({exc.status}): check the email and password "
                                "(an account that signs in with Google or SSO needs a personal access token "
                                "instead).", status=401, provider="breezyhr") from exc
            raise
        token = as_text(reply.data.get("access_token")) if isinstance(reply.data, dict) else None
        if token is None:
            raise MalformedResponse("BreezyHR answered the sign-in without an access token.", provider="breezyhr")
        self.client.token = token
        self._password = None  # used once, never kept
        self.signed_in = True

    async def company(self, *, check: bool = False) -> Company:
        """The company routes are scoped to. `check` asks BreezyHR even when the settings name one."""
        if self._company is not None and not check:
            return self._company
        await self.ensure_token()
        companies = [c for c in map(to_company, rows_of(await self.client.get("/companies"), "/companies")) if c]
        self._company = pick_company(companies, self.wanted_company)
        return self._company

    async def positions(self, *, fresh: bool = False) -> list[dict[str, Any]]:
        """Every position of the company (jobs and talent pools), in the order BreezyHR lists them."""
        now = self._clock()
        age = now - self._positions_at
        if self._positions is None or age > POSITIONS_TTL or (fresh and age > FRESH_ENOUGH):
            company = await self.company()
            found: list[dict[str, Any]] = []
            async for rows in self.client.pages(f"/company/{company.remote_id}/positions"):
                found.extend(row for row in rows if id_of(row))
            self._positions, self._positions_at = list({id_of(p): p for p in found}.values()), now
        return self._positions

    async def position(self, position_id: str) -> dict[str, Any]:
        """A position from the list, or read by id (a position made since the list was read)."""
        known = next((p for p in await self.positions() if id_of(p) == position_id), None)
        if known is not None:
            return known
        company = await self.company()
        row = await self.client.get(f"/company/{company.remote_id}/position/{position_id}")
        if not isinstance(row, dict):
            raise MalformedResponse("BreezyHR sent a position we could not read.", provider="breezyhr")
        return row

    async def newest_first(self, *, fresh: bool = False) -> list[dict[str, Any]]:
        """Positions by their last change, newest first: where a changed candidate most likely is."""
        positions = await self.positions(fresh=fresh)
        return sorted(positions, key=lambda p: as_time(p.get("updated_date")) or EPOCH, reverse=True)


def pick_company(companies: list[Company], wanted: str | None) -> Company:
    """The named company (by id or friendly id), else the only one; a ConfigError lists the choices."""
    if wanted:
        match = next((c for c in companies if wanted in (c.remote_id, c.friendly_id)), None)
        if match is None:
            listed = company_choices(companies) or "none"
            raise ConfigError(f"This BreezyHR account has no company {wanted!r}. Its companies: {listed}.")
        return match
    if len(companies) == 1:
        return companies[0]
    if not companies:
        raise ConfigError("This BreezyHR account belongs to no company, so there is nothing to sync.")
    raise ConfigError("This BreezyHR account belongs to several companies; name the one to connect as the "
                      f"company (--company ID). Its companies: {company_choices(companies)}.")
