"""Files attached to a Teams message in the personal chat (a CV with a scheduling request).

Teams hands the bot a file as an attachment of type `application/vnd.microsoft.teams.file.download.info`
whose `downloadUrl` is pre-authorised and short-lived: it is fetched as is, without hirebot's token (which
is only for the Bot Connector), with a size cap. Files shared in channels are links into SharePoint that a
bot can't read without Microsoft Graph, so they are reported as unreadable.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.intake import MAX_RESUME_BYTES
from bot.messages import ChatFile

log = logging.getLogger(__name__)

DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
MAX_ATTACHED_FILES = 3
DOWNLOAD_TIMEOUT_SECONDS = 30.0


def attached_files(activity: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    """The attachments of a message that are files (not cards, not inline images)."""
    return tuple(a for a in activity.get("attachments") or () if isinstance(a, Mapping)
                 and a.get("contentType") == DOWNLOAD_INFO)


def _file_type(name: str, file_type: str | None) -> str | None:
    guessed, _ = mimetypes.guess_type(name if "." in name else f"{name}.{file_type or ''}")
    return guessed


async def fetch_files(client: httpx.AsyncClient, attachments: Sequence[object], *,
                      max_bytes: int = MAX_RESUME_BYTES) -> tuple[tuple[ChatFile, ...], tuple[str, ...]]:
    """The files that could be read, and one "<name>: <why not>" for each that couldn't."""
    items = [a for a in attachments if isinstance(a, Mapping)]
    read: list[ChatFile] = []
    problems = [f"{a.get('name') or 'a file'}: I read at most {MAX_ATTACHED_FILES} files from one message"
                for a in items[MAX_ATTACHED_FILES:]]
    for item in items[:MAX_ATTACHED_FILES]:
        name = str(item.get("name") or "the attachment")
        content = item.get("content") if isinstance(item.get("content"), Mapping) else {}
        url = content.get("downloadUrl") if isinstance(content, Mapping) else None
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            problems.append(f"{name}: Teams didn't give me a link to download it")
            continue
        try:
            data = await _download(client, url, max_bytes)
        except _Unreadable as exc:
            log.warning("could not download an attached Teams file (%s): %s", name, exc)
            problems.append(f"{name}: {exc}")
            continue
        file_type = content.get("fileType") if isinstance(content, Mapping) else None
        read.append(ChatFile(name=name, content_type=_file_type(name, str(file_type) if file_type else None),
                             data=data))
    return tuple(read), tuple(problems)


class _Unreadable(Exception):
    pass


async def _download(client: httpx.AsyncClient, url: str, max_bytes: int) -> bytes:
    limit_mb = max_bytes // (1024 * 1024)
    try:
        async with client.stream("GET", url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            if response.status_code != 200:
                raise _Unreadable(f"Teams couldn't hand it over (HTTP {response.status_code})")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    raise _Unreadable(f"it is larger than {limit_mb} MB")
    except httpx.HTTPError as exc:
        raise _Unreadable(f"I couldn't download it ({type(exc).__name__})") from None
    return bytes(data)
