"""The one interface every ATS adapter implements, with capability flags the bot can explain."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from adapters.errors import NotSupported
from adapters.models import (
    Candidate,
    CandidateBatch,
    Job,
    JobInterviewStage,
    Note,
    RemoteUser,
    ScheduledInterview,
)

if TYPE_CHECKING:  # adapters receive their client; only the ones that talk to an ATS load httpx
    import httpx

class Capability(StrEnum):
    READ_CANDIDATES = "read_candidates"
    READ_APPLICATIONS = "read_applications"
    READ_JOBS = "read_jobs"
    READ_STAGES = "read_stages"
    READ_USERS = "read_users"
    READ_ATTACHMENTS = "read_attachments"
    INCREMENTAL_SYNC = "incremental_sync"
    WEBHOOKS = "webhooks"
    WRITE_NOTES = "write_notes"
    WRITE_INTERVIEWS = "write_interviews"
    CREATE_CANDIDATES = "create_candidates"
    LIST_JOBS = "list_jobs"


@dataclass(frozen=True)
class ConnectionConfig:
    """What an adapter needs to talk to one account: where, as whom, and the decrypted secrets."""

    base_url: str
    credentials: dict[str, Any] = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)


class AtsAdapter(ABC):
    """Reads (and, where capable, writes) one ATS account through an injected httpx.AsyncClient."""

    provider: ClassVar[str]
    display_name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]

    def __init__(self, config: ConnectionConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def require(self, capability: Capability) -> None:
        if capability not in self.capabilities:
            raise NotSupported(capability.value, self.display_name)

    @abstractmethod
    async def validate(self) -> None:
        """Prove the credentials work with the cheapest calls; raise AuthError with a helpful message."""

    def stored_config(self) -> ConnectionConfig:
        """What to store for this connection after `validate()`: by default what it was built with. An adapter
        that signs in with a password returns the token it got instead (a password is never stored), and
        may add what it learnt (the account's company)."""
        return self.config

    @abstractmethod
    def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        """Yield pages of candidates (with applications and attachments) changed since `updated_since`.

        With `updated_since=None` this is a full sync. Each batch is stored in its own transaction.
        """

    @abstractmethod
    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        """Re-read specific candidates with their children (webhook triggers, "refresh Jane")."""

    @abstractmethod
    async def list_jobs(self) -> list[Job]: ...

    @abstractmethod
    async def list_stages(self) -> list[JobInterviewStage]: ...

    @abstractmethod
    async def list_users(self) -> list[RemoteUser]: ...

    @abstractmethod
    def candidate_url(self, remote_id: str) -> str:
        """Deep link to the candidate's record in the ATS web app."""

    async def create_note(self, note: Note, *, acting_user_id: str | None = None) -> Note:
        raise NotSupported(Capability.WRITE_NOTES.value, self.display_name)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        """The candidate's note containing `marker`, to check whether an unanswered write went through."""
        raise NotSupported(Capability.WRITE_NOTES.value, self.display_name)

    # Interviews: `subject` names the interview where the ATS shows one (Lever); `candidate_remote_id` is the
    # record the interview hangs off where that is not the application (Lever's opportunity). Others ignore them.

    async def create_interview(self, interview: ScheduledInterview, *, acting_user_id: str | None = None,
                               subject: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        raise NotSupported(Capability.WRITE_INTERVIEWS.value, self.display_name)

    async def delete_note(self, remote_id: str, *, acting_user_id: str | None = None) -> None:
        raise NotSupported(Capability.WRITE_NOTES.value, self.display_name)

    async def update_interview(self, remote_id: str, interview: ScheduledInterview, *,
                               acting_user_id: str | None = None, subject: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        raise NotSupported(Capability.WRITE_INTERVIEWS.value, self.display_name)

    async def delete_interview(self, remote_id: str, *, acting_user_id: str | None = None,
                               candidate_remote_id: str | None = None) -> None:
        raise NotSupported(Capability.WRITE_INTERVIEWS.value, self.display_name)

    async def find_interview_by_external_id(self, external_event_id: str, *,
                                            application_remote_id: str | None = None,
                                            candidate_remote_id: str | None = None
                                            ) -> ScheduledInterview | None:
        """The interview hirebot scheduled under `external_event_id` (its meeting's id), if the ATS has it."""
        raise NotSupported(Capability.WRITE_INTERVIEWS.value, self.display_name)

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        raise NotSupported(Capability.CREATE_CANDIDATES.value, self.display_name)

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        """The newest record with this email, to check whether an unanswered create went through."""
        raise NotSupported(Capability.CREATE_CANDIDATES.value, self.display_name)
