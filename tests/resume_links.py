"""Single-use public links to CV bytes, served on loopback: what an ATS that downloads a CV from a URL
(Teamtailor uploads) is handed in tests, standing in for hirebot's own signed resume links."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from adapters.sandbox.server import BackgroundServer


class ResumeLinks:
    """`publish((name, bytes, content type))` gives a URL that serves the bytes once, then answers 404."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self._server: BackgroundServer | None = None
        self.served: list[str] = []

    async def publish(self, resume: Sequence[Any]) -> str:
        return await asyncio.to_thread(self.publish_now, resume)

    def publish_now(self, resume: Sequence[Any]) -> str:
        token = secrets.token_urlsafe(16)
        kind = str(resume[2]) if len(resume) > 2 and resume[2] else "application/octet-stream"
        with self._lock:
            self._files[token] = (bytes(resume[1]), kind)
            if self._server is None:
                app = web.Application()
                app.router.add_get("/resumes/{token}", self._serve)
                self._server = BackgroundServer(app).start()
            return f"{self._server.url}/resumes/{token}"

    async def _serve(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        with self._lock:
            found = self._files.pop(token, None)
        if found is None:
            return web.Response(status=404, text="This link was used already or never existed.")
        self.served.append(token)
        content, kind = found
        return web.Response(body=content, content_type=kind)
