"""Teamtailor's regions, API version and web app: each account lives in one region, and a key sent to the
other one is refused exactly like a bad key (401), so connecting tries both."""

from __future__ import annotations

import httpx

REGION_URLS: dict[str, str] = {
    "eu": "https://api.teamtailor.com/v1",
    "na": "https://api.na.teamtailor.com/v1",
}
REGION_NAMES = {"eu": "EU", "na": "North America (NA)"}
# Pinned: Teamtailor ships breaking changes as new dated versions, and a missing or unknown one is a 406.
API_VERSION = "20240904"
MEDIA_TYPE = "application/vnd.api+json"
APP_URL = "https://app.teamtailor.com"


def region_of(base_url: str) -> str | None:
    """The region whose default API address `base_url` is, or None for any other address (a proxy, a test
    server): only a default address may be swapped for the other region's."""
    host = httpx.URL(base_url).host
    return next((name for name, url in REGION_URLS.items() if httpx.URL(url).host == host), None)


def other_region(region: str) -> str:
    return next(name for name in REGION_URLS if name != region)
