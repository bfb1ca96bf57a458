"""Which Freshteam account a connection talks to: its sub-domain, the API root and the web app's address.

Freshteam lives at `https://{domain}.freshteam.com`, with the API under `/api` (no version segment).
People paste the sub-domain in several shapes ("acme", "acme.freshteam.com", a whole URL), so every
shape is reduced to the bare sub-domain before anything is built from it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from adapters.errors import ConfigError

APP_HOST = "freshteam.com"
API_PATH = "/api"
_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def bare_domain(value: str) -> str:
    """"acme", "Acme.freshteam.com" or "https://acme.freshteam.com/hire" -> "acme"; ConfigError otherwise."""
    text = (value or "").strip().lower()
    if "//" in text:
        text = urlsplit(text).hostname or ""
    text = text.split("/", 1)[0].rstrip(".")
    if text.endswith("." + APP_HOST):
        text = text[: -len(APP_HOST) - 1]
    if not _SUBDOMAIN.match(text):
        raise ConfigError(f"The Freshteam domain is the first part of your Freshteam address: for "
                          f"https://acme.freshteam.com it is acme; {value!r} is not one.")
    return text


def default_base_url(domain: str) -> str:
    """The API root the reference's paths are appended to."""
    return f"https://{bare_domain(domain)}.{APP_HOST}{API_PATH}"


def app_url(domain: str) -> str:
    """The account's web address, where people read candidates and resumes live."""
    return f"https://{bare_domain(domain)}.{APP_HOST}"
