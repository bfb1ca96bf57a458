"""Greenhouse's refusals turned into sentences an admin can act on: credentials, missing scopes, and the
provider's own words when it turns a request down."""

from __future__ import annotations

import httpx

from adapters.errors import AtsError, AuthError
from adapters.http import CredentialsRefused

CREDENTIALS_ADVICE = "check the client id/secret and the credential's scopes"
SCOPE_ACTIONS = {"GET": "list", "POST": "create", "PATCH": "update", "DELETE": "destroy"}


def credentials_refused(exc: AtsError) -> AuthError:
    """The one sentence an admin sees when Greenhouse turns the credentials down."""
    detail = exc.detail if isinstance(exc, CredentialsRefused) else ""
    hint = CREDENTIALS_ADVICE
    if exc.status == 403:
        hint += ", and that the acting user (sub) is a Site Admin"
    return AuthError(f"Greenhouse refused the credentials: {hint} ({detail or f'HTTP {exc.status}'}).",
                     status=exc.status, provider="greenhouse")


def scope_refused(exc: CredentialsRefused, method: str, url: str) -> AuthError:
    """A 403 on one resource: name the harvest scope the credential needs for it."""
    resource = _resource(url)
    action = SCOPE_ACTIONS.get(method, "list")
    detail = f" ({exc.detail})" if exc.detail else ""
    if method == "GET":
        advice = (f"Greenhouse refused access to {resource}: check that the credential has the "
                  f"harvest:{resource}:list scope and that the acting user (sub) is a Site Admin"
                  f"{detail}.")
    else:
        advice = (f"Greenhouse refused to {action} {resource}: check that the credential has the "
                  f"harvest:{resource}:{action} scope and that the acting user is active and allowed "
                  f"to do this{detail}.")
    return CredentialsRefused(advice, status=exc.status or 403, provider="greenhouse", detail=exc.detail)


def refusal_reason(exc: AtsError) -> str:
    """Greenhouse's own words from a refusal ("Greenhouse rejected the request (422): <words>.")."""
    text = str(exc).strip().rstrip(".")
    return text.split(": ", 1)[1] if ": " in text else text


def _resource(url: str) -> str:
    """`/v3/interviews/12` -> `interviews`: the resource a scope is named after."""
    parts = httpx.URL(url).path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "v3" else parts[-1]
