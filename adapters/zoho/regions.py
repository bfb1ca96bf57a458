"""Zoho's data centers: each has its own accounts server (tokens) and Recruit host (API and web app), and a
Self Client made in one data center works only there."""

from __future__ import annotations

import httpx

# data center -> (accounts server, Recruit host), per the reference's table. Canada and Saudi Arabia follow
# Zoho's own host names there (Canada is zohocloud.ca, not zoho.ca).
DATA_CENTERS: dict[str, tuple[str, str]] = {
    "us": ("https://accounts.zoho.com", "https://recruit.zoho.com"),
    "eu": ("https://accounts.zoho.eu", "https://recruit.zoho.eu"),
    "in": ("https://accounts.zoho.in", "https://recruit.zoho.in"),
    "au": ("https://accounts.zoho.com.au", "https://recruit.zoho.com.au"),
    "jp": ("https://accounts.zoho.jp", "https://recruit.zoho.jp"),
    "ca": ("https://accounts.zohocloud.ca", "https://recruit.zohocloud.ca"),
    "sa": ("https://accounts.zoho.sa", "https://recruit.zoho.sa"),
    "cn": ("https://accounts.zoho.com.cn", "https://recruit.zoho.com.cn"),
}
API_PATH = "/recruit/v2"
# The `api_domain` a token answer names (www.zohoapis.<tld>) tells which data center the account is in.
API_DOMAIN_SUFFIXES: dict[str, str] = {
    "us": "zohoapis.com", "eu": "zohoapis.eu", "in": "zohoapis.in", "au": "zohoapis.com.au",
    "jp": "zohoapis.jp", "ca": "zohoapis.ca", "sa": "zohoapis.sa", "cn": "zohoapis.com.cn",
}


def data_center(value: object) -> str:
    text = str(value or "us").strip().lower()
    return text if text in DATA_CENTERS else "us"


def accounts_url(center: str) -> str:
    return DATA_CENTERS[data_center(center)][0]


def web_url(center: str) -> str:
    """The Recruit web app (and API host) of a data center: deep links go here."""
    return DATA_CENTERS[data_center(center)][1]


def api_base_url(center: str) -> str:
    return web_url(center) + API_PATH


def center_of_host(url: str) -> str | None:
    """The data center a known Zoho Recruit URL belongs to; None for any other host (a proxy, a test server)."""
    host = httpx.URL(url).host
    return next((name for name, (_, recruit) in DATA_CENTERS.items() if httpx.URL(recruit).host == host), None)


def center_of_api_domain(api_domain: str | None) -> str | None:
    """The data center a token answer's `api_domain` names, or None when it is missing or unknown."""
    if not api_domain:
        return None
    try:
        host = httpx.URL(api_domain).host or api_domain
    except (httpx.InvalidURL, TypeError):
        return None
    # Longest suffix first: zohoapis.com.au must not be read as zohoapis.com.
    for name, suffix in sorted(API_DOMAIN_SUFFIXES.items(), key=lambda item: -len(item[1])):
        if host == suffix or host.endswith("." + suffix):
            return name
    return None
