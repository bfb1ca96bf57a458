"""The scheduling acceptance path on `hirebot demo`: "schedule with <name>" writes an .eml with a working
booking link; opening it and picking a time books the meeting; the console shows the booking and events."""

from __future__ import annotations

import email
import email.policy
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from adapters.sandbox.greenhouse_dataset import generate
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]


class Demo:
    """`hirebot demo` in a child process, talked to through its stdin like a person at the prompt."""

    def __init__(self, data_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HIREBOT_", "SLACK_"))}
        env.update(HIREBOT_DATA_DIR=str(data_dir), COLUMNS="200", NO_COLOR="1")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "demo", "--candidates", "120"], cwd=ROOT,
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def say(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.seen:
                found = re.search(pattern, line)
                if found:
                    self.seen.remove(line)
                    return found
            try:
                self.seen.append(self.lines.get(timeout=0.5))
            except queue.Empty:
                continue
        raise AssertionError(f"never printed {pattern!r}; output so far: {''.join(self.seen)[-3000:]}")

    def close(self) -> str:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return "".join(self.seen + rest)


def test_schedule_in_the_demo_then_book_from_the_emailed_link(tmp_path: Path) -> None:
    state = generate(seed=7, candidates=120)
    names = [f"{c['first_name']} {c['last_name']}" for c in state.candidates.values()]
    target = next(n for n in sorted(names) if names.count(n) == 1 and n.isascii())
    demo = Demo(tmp_path)
    try:
        demo.wait_for(r"Synced 120 candidates")
        demo.say(f"schedule with {target}")
        demo.wait_for(r"Shall I send the request\?")
        demo.say("1")
        link = demo.wait_for(r"Booking link: (\S+)").group(1)

        mail = wait_until(lambda: list((tmp_path / "outbox-mail").glob("*.eml")), timeout=20,
                          what="the request email in outbox-mail/")
        message = email.message_from_bytes(mail[0].read_bytes(), policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        emailed = re.search(r"(http://\S+/book/\S+)", text).group(1)  # type: ignore[union-attr]
        assert emailed.split("/book/")[0] == link.split("/book/")[0]
        link = emailed

        page = httpx.get(link, timeout=10)
        assert page.status_code == 200
        start = re.search(r'name="start" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        booked = httpx.post(f"{link}/select", data={"start": start, "csrf": csrf, "tz": "Europe/Berlin"},
                            follow_redirects=True, timeout=10)
        assert booked.status_code == 200

        demo.wait_for(r"booked", timeout=30)
        demo.say("my meetings")
        demo.wait_for(r"State\s+Booked")
        demo.wait_for(r"time selected → booked")
    finally:
        output = demo.close()
    assert "Traceback" not in output
