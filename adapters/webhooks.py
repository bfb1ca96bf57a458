"""What a verified ATS webhook asks hirebot to do, in one shape for every provider, and how a check fails.

Webhook payloads are triggers, not data: the endpoint hands the raw delivery to the provider's verifier
(`ProviderSpec.webhooks.verify`), which checks it with the provider's own scheme and turns it into a
`WebhookTrigger`; hirebot then re-reads the named candidates through the adapter (`fetch_candidates`),
removes the deleted ones and, when asked, refreshes jobs and stages. A delivery that fails the check
raises one of the `WebhookRefused` errors below, which the web edge turns into its HTTP answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from adapters.errors import HirebotError


@dataclass(frozen=True)
class WebhookTrigger:
    """One delivery's work.

    `candidate_ids` are remote candidate ids to re-read; `deleted_candidate_ids` are ids the provider
    says no longer exist (after a merge, the merged-away record is here and the survivor is in
    `candidate_ids`); `refresh_jobs` asks for jobs and stages to be read again. An event hirebot has no
    use for (or does not know) gives a trigger with nothing to do.
    """

    provider: str
    event: str
    candidate_ids: tuple[str, ...] = ()
    deleted_candidate_ids: tuple[str, ...] = ()
    refresh_jobs: bool = False
    delivery_id: str | None = None
    occurred_at: datetime | None = None

    @property
    def has_work(self) -> bool:
        return bool(self.candidate_ids or self.deleted_candidate_ids or self.refresh_jobs)


@dataclass(frozen=True)
class WebhookSecrets:
    """What one connection can check deliveries with: the secret hirebot generated at connect time (pasted
    into the ATS) and the signature tokens the ATS issued (pasted into hirebot). A provider uses one."""

    secret: str | None = None
    tokens: tuple[str, ...] = ()


class WebhookRefused(HirebotError):
    """A delivery hirebot will not act on; nothing is stored and the sender learns only the kind."""


class BadSignature(WebhookRefused):
    """The signature is missing or does not match any of the connection's secrets."""


class MalformedDelivery(WebhookRefused):
    """Signed correctly, but the body cannot be read as the provider's webhook."""


class StaleDelivery(WebhookRefused):
    """Signed correctly, but sent too long ago (or too far ahead) to trust: a replay, or a wrong clock."""


# The receiver hands every verifier the request URL's query string under this name among the headers (a name
# no real header can have), for ATSs whose only proof is a secret in the URL (WebhookScheme.URL_SECRET).
URL_QUERY_HEADER = ":query"
# The query parameter that carries a URL_SECRET connection's secret.
URL_SECRET_PARAM = "key"

# raw body, headers (names in lower case), the connection's secrets, now → the trigger, or WebhookRefused.
WebhookVerifier = Callable[[bytes, Mapping[str, str], WebhookSecrets, datetime], WebhookTrigger]
