"""Zoho Recruit's error answers turned into the shared errors, with a reason an admin can act on.

Zoho names every refusal with a `code` in its error envelope (`{"code": "INVALID_TOKEN", "message": ...,
"status": "error"}`); the code, not the HTTP status alone, says what to fix: a token to refresh, an
OAuth scope to grant, a wrong data center, a permission the Zoho user lacks.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from adapters.errors import AtsError, AuthError
from adapters.http import AtsHttp, provider_message

PROVIDER = "zoho"
LABEL = "Zoho Recruit"
SCOPE_HELP = ("Generate the grant code again in the Zoho API console (Self Client) with the scopes hirebot "
              "needs (see docs/providers.md), then a new refresh token.")


class ZohoRefused(AuthError):
    """A 401/403 from the API, with Zoho's code (INVALID_TOKEN, OAUTH_SCOPE_MISMATCH, NO_PERMISSION...)."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message, status=status, provider=PROVIDER)
        self.code = code


class ZohoRejected(AtsError):
    """Any other error status from the API, with Zoho's code (INVALID_URL_PATTERN, INVALID_MODULE...)."""

    def __init__(self, message: str, *, status: int, code: str, retryable: bool = False) -> None:
        super().__init__(message, status=status, retryable=retryable, provider=PROVIDER)
        self.code = code


class NotModified(AtsError):
    """304: nothing changed since If-Modified-Since. Not a failure: the listing is simply empty."""

    def __init__(self) -> None:
        super().__init__(f"{LABEL}: not modified.", status=304, provider=PROVIDER)


def error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        code = body.get("code")
        if isinstance(code, str):
            return code.strip().upper()
        rows = body.get("data")
        if isinstance(rows, list) and rows and isinstance(rows[0], dict) and isinstance(rows[0].get("code"), str):
            return str(rows[0]["code"]).strip().upper()
    return ""


def scope_for(path: str) -> str:
    """The OAuth scope a path needs, to name it when Zoho says the token lacks it."""
    lowered = path.lower()
    if "/search" in lowered:
        return "ZohoSearch.securesearch.READ (with ZohoRecruit.modules.candidate.READ)"
    if lowered.startswith("/settings"):
        return "ZohoRecruit.settings.ALL (or ZohoRecruit.settings.fields.READ and ZohoRecruit.settings.modules.READ)"
    if lowered.startswith("/users"):
        return "ZohoRecruit.users.READ"
    if lowered.startswith("/org"):
        return "ZohoRecruit.org.READ"
    for part, scope in (("/notes", "ZohoRecruit.modules.notes.ALL"),
                        ("/attachments", "ZohoRecruit.modules.attachments.ALL"),
                        ("/interviews", "ZohoRecruit.modules.interview.ALL"),
                        ("/job_openings", "ZohoRecruit.modules.jobopening.READ")):
        if part in lowered:
            return scope
    return "ZohoRecruit.modules.candidate.ALL"


def explain(status: int, code: str, path: str, detail: str) -> AtsError:
    """The shared error for one refused API call."""
    said = f" ({detail})" if detail else ""
    if status == 401 and code == "OAUTH_SCOPE_MISMATCH":
        return ZohoRefused(f"The Zoho refresh token lacks the OAuth scope {scope_for(path)}. {SCOPE_HELP}",
                           status=401, code=code)
    if status == 401:
        return ZohoRefused(f"{LABEL} refused the access token ({code or 401}){said}: the refresh token may have "
                           "been revoked, or the connection points at another data center than the one the Self "
                           "Client was made in (check --data-center).", status=401, code=code or "INVALID_TOKEN")
    if status == 403:
        return ZohoRefused(f"The Zoho user who made the refresh token may not do this in {LABEL} ({path}, "
                           f"{code or 403}){said}: give them a profile with access to it.", status=403,
                           code=code or "NO_PERMISSION")
    if status == 404:
        return ZohoRejected(f"{LABEL} has nothing at {path} (404{', ' + code if code else ''}): check --base-url "
                            "and --data-center.", status=404, code=code)
    if status == 400 and code == "INVALID_MODULE":
        return ZohoRejected(f"{LABEL} does not know the module in {path} (INVALID_MODULE){said}.", status=400,
                            code=code)
    if status == 304:
        return NotModified()
    if status >= 500:
        return ZohoRejected(f"{LABEL} failed with a server error ({status}){said}.", status=status, code=code)
    return ZohoRejected(f"{LABEL} rejected the request to {path} ({status}{', ' + code if code else ''}){said}.",
                        status=status, code=code)


class ZohoHttp(AtsHttp):
    """adapters.http with Zoho's error codes read into the errors it raises."""

    def _error_for(self, response: httpx.Response, url: str, secrets: Iterable[str]) -> AtsError:
        detail = provider_message(response)
        for secret in secrets:
            detail = detail.replace(secret, "[redacted]")
        path = api_path(url)
        return explain(response.status_code, error_code(response), path, detail)


def api_path(url: str) -> str:
    """The path after /recruit/v2 (or the whole path for another layout), for messages and scope names."""
    path = httpx.URL(url).path or "/"
    marker = path.find("/recruit/v2")
    return path[marker + len("/recruit/v2"):] or "/" if marker >= 0 else path
