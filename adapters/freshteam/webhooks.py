"""Freshteam sends hirebot no webhooks: its API documents no webhook subscription (the in-app Workflow
Automator's calls are unconfirmed in payload and signing), so hirebot polls it. A delivery to its webhook
route is refused as unsigned, and nothing is stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from adapters.webhooks import BadSignature, WebhookSecrets, WebhookTrigger

POLLING_NOTE = ("Freshteam sends no webhooks, so there is nothing to set up: hirebot polls Freshteam on its sync "
                "schedule (every HIREBOT_SYNC_INTERVAL seconds, 5 minutes by default) and reconciles it in "
                "full daily.")


def refuse_delivery(raw_body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets,
                    now: datetime) -> WebhookTrigger:
    """No delivery can be genuine: Freshteam has no webhooks to sign one."""
    raise BadSignature("Freshteam sends no webhooks; hirebot polls it.")
