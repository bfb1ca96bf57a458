"""Reading whole candidate records in one joined query: every application (with its job) and every file
once, in the order they were stored, only from visible connections."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from store.db import transaction
from store.models import Application, Attachment, Job
from store.queries import candidates_by_ids, candidates_sharing_email, primary_emails, visible_connections
from tests import factories as f


def test_a_record_with_several_applications_and_files_comes_back_whole_and_once(
        sessions: sessionmaker[Session]) -> None:
    ws = f.workspace(sessions)
    conn = f.connection(sessions, ws)
    ada = f.candidate(sessions, conn, "Ada", "Lovelace", email="ada@example.com", job="Engineer")
    alan = f.candidate(sessions, conn, "Alan", "Turing", job=None, resume=False)
    with transaction(sessions) as s:
        job = Job(connection_id=conn.id, remote_id="J-extra", name="Researcher", status="open",
                  hiring_manager_remote_ids=[])
        s.add(job)
        s.flush()
        s.add_all([
            Application(connection_id=conn.id, remote_id="A-extra", candidate_id=ada.id, job_id=job.id,
                        stage_name="Onsite", status="active"),
            Application(connection_id=conn.id, remote_id="A-nojob", candidate_id=ada.id, job_id=None,
                        prospect=True, status="active"),
            Attachment(connection_id=conn.id, candidate_id=ada.id, filename="portfolio.pdf",
                       url="https://files.example/portfolio.pdf", type="other"),
        ])
    with sessions() as s:
        rows = candidates_by_ids(s, [alan.id, ada.id, 999_999], [conn.id])
        # Three applications times four files are twelve joined rows; each object still comes once.
        assert [row.id for row in rows] == [alan.id, ada.id]
        assert rows[0].applications == [] and rows[0].attachments == []
        apps = rows[1].applications
        assert [a.remote_id for a in apps] == [f"A{ada.remote_id}", "A-extra", "A-nojob"]
        assert [a.job.name if a.job else None for a in apps] == ["Engineer", "Researcher", None]
        assert [a.filename for a in rows[1].attachments] == ["Lovelace_resume.pdf", "Lovelace_cover.pdf",
                                                             "portfolio.pdf"]


def test_reads_stay_within_the_connections_given(sessions: sessionmaker[Session]) -> None:
    ws = f.workspace(sessions)
    alice = f.user(sessions, ws, "alice@acme.test")
    org = f.connection(sessions, ws, scope="org")
    personal = f.connection(sessions, ws, provider="lever", scope="user", owner=alice)
    shared = f.candidate(sessions, org, "Grace", "Hopper", email="grace@example.com")
    hidden = f.candidate(sessions, personal, "Grace", "Hopper", email="GRACE@example.com")
    with sessions() as s:
        assert [c.id for c in visible_connections(s, ws.id, None)] == [org.id]
        assert [c.id for c in visible_connections(s, ws.id, alice.id)] == [org.id, personal.id]
        assert candidates_by_ids(s, [hidden.id], [org.id]) == []
        assert primary_emails(s, [shared.id, hidden.id], [org.id]) == {shared.id: "grace@example.com"}
        assert [c.id for c in candidates_sharing_email(s, ["Grace@Example.com"], [org.id])] == [shared.id]
        assert {c.id for c in candidates_sharing_email(s, ["grace@example.com"], [org.id, personal.id])} == {
            shared.id, hidden.id}
        # The records a caller already holds are not read again.
        assert [c.id for c in candidates_sharing_email(s, ["grace@example.com"], [org.id, personal.id],
                                                       exclude={shared.id})] == [hidden.id]
        assert candidates_sharing_email(s, ["grace@example.com"], [org.id], exclude={shared.id}) == []
