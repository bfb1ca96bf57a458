"""Pages of Teamtailor candidates made into batches: each candidate with the job applications the list
includes (`include=job-applications`), their stages' names and types from one `/stages` read, and links to
the candidate's page for files. No per-candidate request is made during a sync.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from adapters.models import Application, Attachment, Candidate, CandidateBatch
from adapters.teamtailor.client import Document, TeamtailorClient
from adapters.teamtailor.fields import as_mapping, as_text, related_id, related_ids
from adapters.teamtailor.mapping import StageInfo, attachments_of, to_application, to_candidate, to_stage_info

APPLICATIONS = "job-applications"


class StageIndex:
    """Every stage's name and type, read from `/stages` once, and again when an unknown stage shows up
    (a stage added since); a stage still unknown after that leaves the application's stage unnamed."""

    def __init__(self, client: TeamtailorClient) -> None:
        self._client = client
        self.stages: dict[str, StageInfo] = {}
        self.resources: list[dict[str, Any]] = []
        self._missing: set[str] = set()

    async def ensure(self, stage_ids: set[str]) -> Mapping[str, StageInfo]:
        if stage_ids - self.stages.keys() - self._missing:
            await self.load()
            self._missing = stage_ids - self.stages.keys()
        return self.stages

    def learn(self, resources: Sequence[dict[str, Any]]) -> None:
        """Stages an answer included (`include=stage`): known without asking `/stages`."""
        for resource in resources:
            stage_id = as_text(resource.get("id"))
            if stage_id:
                self.stages[stage_id] = to_stage_info(resource)

    async def load(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        async for document in self._client.pages("/stages"):
            found.extend(document.data)
        self.stages = {sid: to_stage_info(r) for r in found for sid in [as_text(r.get("id"))] if sid}
        self.resources = found
        return found


async def build_batch(resources: Sequence[dict[str, Any]], documents: Sequence[Document], stages: StageIndex,
                      url_for: Callable[[str], str], requests: int) -> CandidateBatch:
    """The candidates with the applications found for them in the documents' `included`."""
    included: dict[tuple[str, str], dict[str, Any]] = {}
    for document in documents:
        included.update(document.included)
    by_candidate: dict[str, list[dict[str, Any]]] = {}
    for (kind, _), application in included.items():
        owner = related_id(application, "candidate")
        if kind == APPLICATIONS and owner:
            by_candidate.setdefault(owner, []).append(application)
    stages.learn([resource for (kind, _), resource in included.items() if kind == "stages"])
    stage_ids = {sid for (kind, _), app in included.items() if kind == APPLICATIONS
                 for sid in [related_id(app, "stage")] if sid}
    known = await stages.ensure(stage_ids)
    candidates: list[Candidate] = []
    applications: list[Application] = []
    attachments: list[Attachment] = []
    for resource in resources:
        candidate_id = as_text(resource.get("id"))
        if candidate_id is None:
            continue
        url = url_for(candidate_id)
        candidate = to_candidate(resource, url)
        if candidate is None:
            continue
        mine = _applications_of(resource, candidate_id, included, by_candidate)
        candidates.append(candidate)
        applications.extend(a for a in (to_application(app, candidate_id, known) for app in mine) if a)
        attachments.extend(attachments_of(resource, mine, url))
    return CandidateBatch(candidates=tuple(candidates), applications=tuple(applications),
                          attachments=tuple(attachments), requests=requests,
                          extra={"complete_candidates": True})


async def complete(client: TeamtailorClient, document: Document) -> Document:
    """The document with every listed candidate's applications included. A server that honours
    `include=job-applications` (Teamtailor does) needs nothing more; for one that ignored it, each candidate
    whose applications are missing is read through `/candidates/{id}/job-applications`."""
    if document.has_included:
        return document
    extra: dict[tuple[str, str], dict[str, Any]] = dict(document.included)
    for resource in document.data:
        candidate_id = as_text(resource.get("id"))
        named = related_ids(resource, APPLICATIONS)
        linked = "data" in (as_mapping(as_mapping(resource.get("relationships")).get(APPLICATIONS)))
        if candidate_id is None or (linked and not named):
            continue  # a candidate without applications
        async for page in client.pages(f"/candidates/{candidate_id}/{APPLICATIONS}", {"include": "stage"}):
            for application in page.data:
                application_id = as_text(application.get("id"))
                if application_id:
                    relationships = dict(as_mapping(application.get("relationships")))
                    relationships.setdefault("candidate", {"data": {"type": "candidates", "id": candidate_id}})
                    extra[(APPLICATIONS, application_id)] = {**application, "relationships": relationships}
            extra.update(page.included)
    return replace(document, included=extra, has_included=True)


def _applications_of(resource: Mapping[str, Any], candidate_id: str, included: Mapping[tuple[str, str], Any],
                     by_candidate: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The candidate's applications: those its relationship names, and any included one naming it."""
    found: dict[str, dict[str, Any]] = {}
    for application_id in related_ids(resource, APPLICATIONS):
        application = included.get((APPLICATIONS, application_id))
        if application is not None:
            found[application_id] = application
    for application in by_candidate.get(candidate_id, []):
        own_id = as_text(application.get("id"))
        if own_id:
            found.setdefault(own_id, application)
    return list(found.values())
