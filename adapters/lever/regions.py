"""Lever's regions: each has its own API host and web app, and a key works only in its own region."""

from __future__ import annotations

import httpx

LEVER_BASE_URLS = {
    "us": "https://api.lever.co/v1",
    "eu": "https://api.eu.lever.co/v1",
    "sandbox": "https://api.sandbox.lever.co/v1",
}
LEVER_APP_URLS = {
    "us": "https://hire.lever.co",
    "eu": "https://hire.eu.lever.co",
    "sandbox": "https://hire.sandbox.lever.co",
}


def app_url_for(base_url: str, region: str) -> str:
    """The web app that goes with an API base URL (a known host decides, else the region)."""
    host = httpx.URL(base_url).host
    for name, api in LEVER_BASE_URLS.items():
        if httpx.URL(api).host == host:
            return LEVER_APP_URLS[name]
    return LEVER_APP_URLS.get(region, LEVER_APP_URLS["us"])
