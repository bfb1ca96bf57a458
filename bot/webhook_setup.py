"""What an admin pastes into each ATS so its webhooks reach hirebot, for `hirebot webhooks`.

Greenhouse takes a URL and a secret key that hirebot generated at connect time. Lever takes a URL per
event and hands back a signature token for each webhook, which the admin pastes into hirebot with
`hirebot webhooks add-token CONNECTION_ID TOKEN`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from adapters.greenhouse import APPLICATION_EVENTS
from bot.runtime import Runtime
from store.models import AtsConnection
from store.settings import Settings
from store.webhook_secrets import add_lever_token as store_lever_token
from store.webhook_secrets import greenhouse_secret, lever_tokens

# The actions that change what hirebot shows: candidates and applications (re-read), deletions and merges
# (removed), jobs (re-synced). Offers, scorecards and the like are not stored, so they are not asked for.
GREENHOUSE_EVENTS: tuple[str, ...] = (
    *sorted(APPLICATION_EVENTS),
    "update_candidate", "delete_candidate", "merge_candidate", "candidate_anonymized",
    "job_created", "job_updated", "job_deleted", "job_interview_stage_deleted",
)
LEVER_EVENTS: tuple[str, ...] = (
    "applicationCreated", "candidateStageChange", "candidateArchiveChange", "candidateHired",
    "candidateDeleted",
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


@dataclass(frozen=True)
class WebhookInstruction:
    """One connection's webhook setup: where the ATS should POST, and the secret or the next step."""

    connection_id: int
    provider: str
    name: str
    url: str
    secret_or_note: str
    events: tuple[str, ...]


def webhook_url(settings: Settings, provider: str, connection_id: int) -> str:
    return f"{settings.public_url.rstrip('/')}/webhooks/{provider}/{connection_id}"


def webhook_instructions(runtime: Runtime) -> list[WebhookInstruction]:
    """Setup for every active connection whose ATS can send webhooks, oldest connection first."""
    with runtime.sessions() as session:
        query = (select(AtsConnection)
                 .where(AtsConnection.is_active.is_(True),
                        AtsConnection.provider.in_(("greenhouse", "lever")))
                 .order_by(AtsConnection.id))
        rows = list(session.scalars(query))
    return [_instruction(runtime, row) for row in rows]


def _instruction(runtime: Runtime, row: AtsConnection) -> WebhookInstruction:
    url = webhook_url(runtime.settings, row.provider, row.id)
    if row.provider == "greenhouse":
        return WebhookInstruction(row.id, row.provider, row.name, url, greenhouse_secret(runtime.box, row),
                                  GREENHOUSE_EVENTS)
    stored = len(lever_tokens(runtime.box, row))
    note = ("In Lever, open Settings > Integrations and API > Webhooks and turn on each event below "
            "with this URL. Then copy each webhook's signature token into hirebot: "
            f"hirebot webhooks add-token {row.id} TOKEN ({stored} stored so far).")
    return WebhookInstruction(row.id, row.provider, row.name, url, note, LEVER_EVENTS)


def public_url_problem(settings: Settings) -> str | None:
    """Why an ATS could not reach these URLs, or None. Both ATSs deliver only to public HTTPS addresses."""
    parts = urlsplit(settings.public_url)
    if parts.scheme != "https" or (parts.hostname or "") in LOCAL_HOSTS:
        return (f"Greenhouse and Lever only deliver to a public HTTPS address, and hirebot's is "
                f"{settings.public_url}. Set HIREBOT_PUBLIC_URL to the address the internet reaches "
                "hirebot at.")
    return None


def add_lever_token(runtime: Runtime, connection_id: int, token: str) -> int:
    """`hirebot webhooks add-token`: store a Lever webhook's signature token; returns how many are stored."""
    return store_lever_token(runtime.sessions, runtime.box, connection_id, token)
