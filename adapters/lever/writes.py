"""Notes, panels and new candidates written to Lever as a Lever user (`perform_as`), and the lookups
(note by marker, panel by meeting id, candidate by email) that tell whether a write whose answer was
lost has landed. Each returns remote ids in the form the create call returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.errors import AtsError, AuthError, ConfigError, MalformedResponse
from adapters.lever.client import LeverClient, confidentiality, data_object, page
from adapters.lever.fields import as_text
from adapters.lever.mapping import contact_id, created_key, note_texts, phone_type, to_candidate, to_note
from adapters.lever.panels import made_for, panel_body, to_scheduled
from adapters.lever.permissions import CREATE_CANDIDATE_PERMISSION, KEY_ADVICE, NOTE_LOOKUP_PERMISSION
from adapters.lever.remote_ids import locate, opportunity_in, panel_target
from adapters.models import Candidate, Note, ScheduledInterview

log = logging.getLogger(__name__)


class LeverWrites:
    """One connection's writes: who acts by default, where its candidates' pages are, and whether
    confidential records count when looking a person up."""

    def __init__(self, lever: LeverClient, *, default_actor: str | None, app_url: str,
                 include_confidential: bool) -> None:
        self._lever = lever
        self._default_actor = default_actor
        self._app_url = app_url
        self._confidentiality = confidentiality(include_confidential)

    # --- notes --------------------------------------------------------------------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None) -> Note:
        opportunity_id = as_text(note.candidate_remote_id) or opportunity_in(note.application_remote_id)
        if opportunity_id is None:
            raise ConfigError("A Lever note needs the candidate (opportunity) it is about.")
        params = self._actor_params(acting_user_id, required=False)
        reply = await self._lever.send("POST", f"/opportunities/{opportunity_id}/notes", params=params,
                                       json_body={"value": note.body, "secret": False, "notifyFollowers": False},
                                       permission="create-opportunity-note")
        return to_note(data_object(reply, "notes"), opportunity_id, note.body, note.application_remote_id)

    async def delete_note(self, remote_id: str, *, acting_user_id: str | None,
                          candidate_remote_id: str | None) -> None:
        opportunity_id, note_id = locate(remote_id, candidate_remote_id, "note")
        await self._lever.send("DELETE", f"/opportunities/{opportunity_id}/notes/{note_id}",
                               params=self._actor_params(acting_user_id, required=False),
                               permission="delete-opportunity-note")

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        opportunity_id = opportunity_in(candidate_remote_id)
        if opportunity_id is None:
            raise ConfigError("A Lever note needs the candidate (opportunity) it is about.")
        async for rows in self._lever.pages(f"/opportunities/{opportunity_id}/notes", {}, NOTE_LOOKUP_PERMISSION):
            for row in rows:
                text = next((t for t in note_texts(row) if marker in t), None)
                if text is not None:
                    return to_note(row, opportunity_id, text)
        return None

    # --- panels (scheduled interviews) --------------------------------------------------------------

    async def create_interview(self, interview: ScheduledInterview, *, acting_user_id: str | None,
                               subject: str | None, note: str | None,
                               candidate_remote_id: str | None) -> ScheduledInterview:
        opportunity_id, application_id = panel_target(interview.application_remote_id, candidate_remote_id)
        body = panel_body(interview, subject, note, application_id)  # no interviewer is the deeper problem
        try:
            reply = await self._lever.send("POST", f"/opportunities/{opportunity_id}/panels",
                                           params=self._actor_params(acting_user_id, required=True),
                                           json_body=body, permission="create-opportunity-panel")
        except AtsError as exc:
            if exc.status == 404 and candidate_remote_id is None:
                raise AtsError(f"Lever has no opportunity {opportunity_id}: to schedule against an application, "
                               "pass the candidate's (opportunity) id as candidate_remote_id.", status=404,
                               provider="lever") from exc
            raise
        return to_scheduled(data_object(reply, "panels"), opportunity_id, interview)

    async def update_interview(self, remote_id: str, interview: ScheduledInterview, *,
                               acting_user_id: str | None, subject: str | None, note: str | None,
                               candidate_remote_id: str | None) -> ScheduledInterview:
        opportunity_id, panel_id = locate(remote_id, candidate_remote_id, "interview")
        application_id = panel_target(interview.application_remote_id, opportunity_id)[1]
        body = panel_body(interview, subject, note, application_id)
        reply = await self._lever.send("PUT", f"/opportunities/{opportunity_id}/panels/{panel_id}",
                                       params=self._actor_params(acting_user_id, required=True), json_body=body,
                                       permission="update-opportunity-panel")
        return to_scheduled(data_object(reply, "panels"), opportunity_id, interview)

    async def delete_interview(self, remote_id: str, *, acting_user_id: str | None,
                               candidate_remote_id: str | None) -> None:
        opportunity_id, panel_id = locate(remote_id, candidate_remote_id, "interview")
        try:
            await self._lever.send("DELETE", f"/opportunities/{opportunity_id}/panels/{panel_id}",
                                   params=self._actor_params(acting_user_id, required=False),
                                   permission="delete-opportunity-panel")
        except AtsError as exc:
            if exc.status != 404:
                raise
            log.info("Lever panel %s was already gone", remote_id)

    async def find_interview_by_external_id(self, external_event_id: str, *, application_remote_id: str | None,
                                            candidate_remote_id: str | None) -> ScheduledInterview | None:
        opportunity_id = as_text(candidate_remote_id) or opportunity_in(application_remote_id)
        if opportunity_id is None:
            raise ConfigError("A Lever interview needs the candidate (opportunity) it is for.")
        async for rows in self._lever.pages(f"/opportunities/{opportunity_id}/panels", {},
                                            "list-opportunity-panels"):
            for row in rows:
                if made_for(row, external_event_id):
                    return to_scheduled(row, opportunity_id, None, external_event_id=external_event_id)
        return None

    # --- candidates ---------------------------------------------------------------------------------

    async def create_candidate(self, candidate: Candidate, options: Mapping[str, Any]) -> Candidate:
        params = self._actor_params(options.get("acting_user_id"), required=True)
        fields = await self._creation_fields(candidate, options)
        resume = options.get("resume")
        try:
            if resume:
                reply = await self._lever.post_multipart("/opportunities", params, fields, resume)
            else:
                reply = await self._lever.send("POST", "/opportunities", params=params, json_body=fields,
                                               permission=None)
        except AuthError as exc:
            if exc.status == 403:
                self._lever.missing.add(CREATE_CANDIDATE_PERMISSION)
                raise AuthError(f"Adding candidates to Lever needs the {CREATE_CANDIDATE_PERMISSION} permission, "
                                f"which is not among the ones hirebot asks for by default. {KEY_ADVICE}",
                                status=403, provider="lever") from exc
            raise
        created = to_candidate(data_object(reply, "opportunities"), None, self._app_url)
        if created is None:
            raise MalformedResponse("Lever created the candidate but sent back no id.", provider="lever")
        return created

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        address = email.strip()
        if not address:
            return None
        newest: dict[str, Any] | None = None
        async for rows in self._lever.pages("/opportunities", {"email": address, **self._confidentiality},
                                            "list-opportunities"):
            for row in rows:
                if as_text(row.get("id")) and (newest is None or created_key(row) > created_key(newest)):
                    newest = row
        return to_candidate(newest, None, self._app_url) if newest is not None else None

    async def _creation_fields(self, candidate: Candidate, options: Mapping[str, Any]) -> dict[str, Any]:
        name = " ".join(p for p in (candidate.first_name, candidate.last_name) if p).strip()
        source = as_text(options.get("source")) or as_text(options.get("source_tag"))
        tags = list(dict.fromkeys([*candidate.tags, *(options.get("tags") or ()), *([source] if source else [])]))
        emails = [e.value for e in candidate.emails if e.value]
        posting = as_text(options.get("job_remote_id") or options.get("posting_id"))
        fields: dict[str, Any] = {
            "name": name or candidate.preferred_name,
            "headline": candidate.company or candidate.title, "emails": emails,
            "phones": [{"value": p.value, "type": phone_type(p.type)} for p in candidate.phones if p.value],
            "links": [link.value for link in candidate.links if link.value], "tags": tags,
            "sources": [source] if source else [], "origin": as_text(options.get("origin")) or "sourced",
            "postings": [posting] if posting else [],
        }
        for key, option in (("owner", "owner_id"), ("stage", "stage_id")):
            if as_text(options.get(option)):
                fields[key] = as_text(options.get(option))
        contact = await self._existing_contact(emails)
        if contact:
            fields["contact"] = contact
        return {k: v for k, v in fields.items() if v not in (None, "")}

    async def _existing_contact(self, emails: Sequence[str]) -> str | None:
        """Lever is said to dedupe by email, but not confirmed: look the person up and attach explicitly."""
        for email in emails[:3]:
            reply = await self._lever.send("GET", "/opportunities",
                                           params={"email": email, "limit": 1, **self._confidentiality},
                                           permission="list-opportunities")
            rows, _, _ = page(reply, "/opportunities")
            contact = next((cid for cid in map(contact_id, rows) if cid), None)
            if contact:
                return contact
        return None

    def _actor_params(self, acting_user_id: str | None, *, required: bool) -> dict[str, str]:
        actor = as_text(acting_user_id) or self._default_actor
        if actor is None and required:
            raise ConfigError("Lever needs to know which Lever user makes this change: link your hirebot "
                              "account to your Lever user, or set the connection's perform_as user.")
        return {"perform_as": actor} if actor else {}
