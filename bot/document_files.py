"""`GET /files/{token}`: an ATS downloads a CV hirebot holds through a signed, short-lived, single-use link
(store/document_links.py). The first download gets the file; a second one, an expired link or an unknown
token gets no file (410 or 404). Answers are never cached, and the token is never logged (the access log
hashes it, scheduler/log_redaction.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from store.document_links import LinkOutcome, redeem

FILES_ROUTE = "/files/{token}"
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache", "Expires": "0",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def document_route(sessions: sessionmaker[Session], now: Callable[[], datetime]) -> web.RouteDef:
    """The route for `create_web_app`: serves each link's file once."""

    async def serve(request: web.Request) -> web.Response:
        redeemed = await asyncio.to_thread(redeem, sessions, request.match_info["token"], now=now())
        if redeemed.outcome is LinkOutcome.SERVED and redeemed.document is not None:
            document = redeemed.document
            headers = {**NO_STORE, "Content-Type": _content_type(document.content_type),
                       "Content-Disposition": content_disposition(document.filename)}
            return web.Response(body=document.content, headers=headers)
        if redeemed.outcome is LinkOutcome.SPENT:
            return web.json_response({"error": "This link was used already or has expired."}, status=410,
                                     headers=NO_STORE)
        return web.json_response({"error": "Not found."}, status=404, headers=NO_STORE)

    return web.get(FILES_ROUTE, serve)


def content_disposition(filename: str) -> str:
    """An attachment with the file's name: an ASCII fallback and the exact name (RFC 6266 / 5987)."""
    cleaned = "".join(ch for ch in filename if ch.isprintable() and ch not in "\r\n") or "resume"
    fallback = "".join(ch if ch.isascii() and ch not in '"\\;' else "_" for ch in cleaned)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


def _content_type(value: str) -> str:
    text = value.strip()
    return text if text and "/" in text and not any(ch in text for ch in "\r\n") else "application/octet-stream"
