"""The Freshteam fake keeps to shared/reference/ats/freshteam.md: bearer key, bare arrays with paging
headers, the errors envelope, 406 for an Accept without JSON, a per-minute window in `x-ratelimit-*` with
429s beyond it, deleted job postings flagged; its command lines print the URL first; people shared with
other fakes come first in its roster."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from adapters.sandbox.fake import FakeOptions
from adapters.sandbox.freshteam import SANDBOX_API_KEY, FreshteamSandbox
from adapters.sandbox.freshteam_dataset import generate
from adapters.sandbox.people import PeopleGenerator
from adapters.sandbox.server import BackgroundServer

REPO = Path(__file__).resolve().parent.parent
KEY = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("command", [["adapters.sandbox", "freshteam"], ["adapters.sandbox.freshteam"]])
def test_the_command_lines_print_the_url_first(command: list[str]) -> None:
    process = subprocess.Popen([sys.executable, "-m", *command, "--candidates", "12", "--port", "0"], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url and line.split("http://", 1)[0].count(" ") <= 3, line
        answer = httpx.get(f"{url.group(0)}/api/candidates", headers=KEY, timeout=10)
        assert answer.status_code == 200 and len(answer.json()) == 12
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_answers_follow_the_reference() -> None:
    clock = Clock()
    sandbox = FreshteamSandbox(generate(seed=3, candidates=60), clock=clock, rate_limit=3)
    with BackgroundServer(sandbox.app) as server:
        api = f"{server.url}/api"
        page = httpx.get(f"{api}/candidates", params={"page": 2, "per_page": 25}, headers=KEY)
        assert page.status_code == 200 and isinstance(page.json(), list) and len(page.json()) == 25
        assert (page.headers["total-objects"], page.headers["total-pages"]) == ("60", "3")
        assert 'rel="next"' in page.headers["link"] and "page=3" in page.headers["link"]
        assert page.headers["x-ratelimit-total"] == "3" and page.headers["x-ratelimit-used-currentrequest"] == "1"

        refused = httpx.get(f"{api}/candidates", headers={"Authorization": SANDBOX_API_KEY})  # no Bearer
        assert refused.status_code == 401 and refused.json()["errors"][0]["code"] == "invalid_credentials"
        html = httpx.get(f"{api}/candidates", headers={**KEY, "Accept": "text/html"})
        assert html.status_code == 406
        missing = httpx.get(f"{api}/candidates/1", headers=KEY)
        assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "not_found"
        jobs = httpx.get(f"{api}/job_postings", headers=KEY).json()
        assert any(job["deleted"] for job in jobs)
        over = httpx.get(f"{api}/candidates", headers=KEY)  # the 4th metered request this minute (3 allowed)
        assert over.status_code == 429 and "Retry-After" not in over.headers
        assert over.headers["x-ratelimit-remaining"] == "0"
        clock.now += 60
        assert httpx.get(f"{api}/candidates", headers=KEY).status_code == 200  # a new minute

        sandbox.closed = True
        closed = httpx.get(f"{api}/candidates", headers=KEY)
        assert closed.status_code == 403 and not closed.headers["content-type"].startswith("application/json")


def test_people_shared_with_other_fakes_come_first() -> None:
    shared = tuple(PeopleGenerator(99).people(2))
    sandbox = FreshteamSandbox.build(FakeOptions(candidates=10, seed=4, shared_people=shared))
    first = [sandbox.state.candidates[cid] for cid in sorted(sandbox.state.candidates)][:2]
    assert [(c.first_name, c.last_name, c.email) for c in first] == [
        (p.first, p.last, p.emails[0].value if p.emails else None) for p in shared]
    assert len(sandbox.state.candidates) == 10
    assert sandbox.connect_values("http://127.0.0.1:9") == {
        "domain": "acme", "api_key": SANDBOX_API_KEY, "base_url": "http://127.0.0.1:9/api"}
