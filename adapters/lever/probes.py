"""Probing a Lever key's permissions without changing anything: reads ask for one item, writes target
an id no record can have, so a granted permission answers 404 (or 400) and a missing one 403.

Limit: this relies on Lever checking permissions before looking the record up, as the sandbox does; were
it the other way round, a missing write permission would surface as a 403 on first use (with the
permission named) instead of at connect time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.errors import AtsError
from adapters.http import CredentialsRefused
from adapters.lever.client import LeverClient, first_failure
from adapters.lever.permissions import (
    DOCUMENTED_PERMISSIONS,
    NOTE_LOOKUP_PERMISSION,
    OPTIONAL_PERMISSIONS,
    PermissionReport,
)

PROBE_CONCURRENCY = 6
# An id no Lever record can have: write probes aimed at it can never change anything.
PROBE_ID = "00000000-0000-0000-0000-000000000000"

_Probe = tuple[str, str, dict[str, Any] | None, Any]
_NOWHERE = f"/opportunities/{PROBE_ID}"
PERMISSION_PROBES: dict[str, _Probe] = {
    "list-users": ("GET", "/users", {"limit": 1}, None),
    "list-opportunities": ("GET", "/opportunities", {"limit": 1}, None),
    "read-opportunity": ("GET", _NOWHERE, None, None),
    "list-candidates": ("GET", "/candidates", {"limit": 1}, None),
    "read-candidate": ("GET", f"/candidates/{PROBE_ID}", None, None),
    "list-opportunity-panels": ("GET", f"{_NOWHERE}/panels", {"limit": 1}, None),
    "read-opportunity-panel": ("GET", f"{_NOWHERE}/panels/{PROBE_ID}", None, None),
    "create-opportunity-panel": ("POST", f"{_NOWHERE}/panels", None, {}),
    "update-opportunity-panel": ("PUT", f"{_NOWHERE}/panels/{PROBE_ID}", None, {}),
    "delete-opportunity-panel": ("DELETE", f"{_NOWHERE}/panels/{PROBE_ID}", None, None),
    "create-opportunity-note": ("POST", f"{_NOWHERE}/notes", None, {}),
    "delete-opportunity-note": ("DELETE", f"{_NOWHERE}/notes/{PROBE_ID}", None, None),
    "list-postings": ("GET", "/postings", {"limit": 1}, None),
    "list-stages": ("GET", "/stages", {"limit": 1}, None),
    "list-archive-reasons": ("GET", "/archive_reasons", {"limit": 1}, None),
    "list-opportunity-resumes": ("GET", f"{_NOWHERE}/resumes", {"limit": 1}, None),
    "list-opportunity-files": ("GET", f"{_NOWHERE}/files", {"limit": 1}, None),
    NOTE_LOOKUP_PERMISSION: ("GET", f"{_NOWHERE}/notes", {"limit": 1}, None),
    # Without perform_as Lever cannot create anything, so this answers 400 when granted, 403 when not.
    "create-opportunity": ("POST", "/opportunities", None, {}),
}


async def probe_permissions(lever: LeverClient) -> PermissionReport:
    """Probe each permission once; a refused key raises AuthError. The client then knows which optional
    permissions are missing, and stops asking for them."""
    gate = asyncio.Semaphore(PROBE_CONCURRENCY)

    async def probe(name: str) -> tuple[str, bool]:
        async with gate:
            return name, await _probe(lever, name)

    first = "list-users"  # probed alone first, so a wrong key fails fast with one request
    results = [(first, await _probe(lever, first))]
    names = [n for n in (*DOCUMENTED_PERMISSIONS, *OPTIONAL_PERMISSIONS) if n != first]
    results += await first_failure(probe(name) for name in names)
    report = PermissionReport(granted=frozenset(n for n, ok in results if ok),
                              missing=frozenset(n for n, ok in results if not ok))
    lever.missing -= report.granted
    lever.missing |= set(report.optional_missing)
    return report


async def _probe(lever: LeverClient, permission: str) -> bool:
    method, path, params, body = PERMISSION_PROBES[permission]
    try:
        await lever.send(method, path, params=params, json_body=body, permission=None)
    except CredentialsRefused as exc:
        if exc.status == 401:
            raise lever.key_refused(exc) from exc
        return False
    except AtsError as exc:
        if exc.status in (400, 404, 409, 422):  # got past the permission check: it is granted
            return True
        raise
    return True
