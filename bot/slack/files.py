"""Files attached to Slack messages (a CV with a scheduling request): what the event says, and the download.

The bot token is only ever sent to Slack's own file hosts over HTTPS, or to the host of
HIREBOT_SLACK_API_URL (the fake Slack in tests and demos serves files there too).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from adapters.errors import HirebotError
from bot.intake import MAX_RESUME_BYTES
from bot.messages import ChatFile
from bot.slack.config import SLACK_API_URL
from bot.slack.web_api import WEB_API_TIMEOUT_SECONDS

log = logging.getLogger(__name__)

MAX_ATTACHED_FILES = 3  # read from one message; a CV is one of the first few
MAX_FILE_BYTES = MAX_RESUME_BYTES  # the core refuses larger CVs anyway, so don't fetch them
SLACK_FILE_HOSTS = (".slack.com", ".slack-gov.com")  # where Slack serves url_private(_download)
FILE_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class SlackFile:
    """A file attached to a Slack message, as the event describes it; nothing is downloaded yet."""

    name: str
    mimetype: str | None
    size: int | None
    url: str | None


def attached_files(event: Mapping[str, Any]) -> tuple[SlackFile, ...]:
    """The files of a `file_share` DM or a mention. A Slack Connect file (`file_access: check_file_info`) or
    a deleted one (`mode: tombstone`) comes without a download URL."""
    found: list[SlackFile] = []
    for item in event.get("files") or ():
        if not isinstance(item, dict):
            continue
        size = item.get("size")
        url = item.get("url_private_download") or item.get("url_private")
        found.append(SlackFile(name=str(item.get("name") or item.get("title") or "the attachment"),
                               mimetype=str(item["mimetype"]) if item.get("mimetype") else None,
                               size=size if isinstance(size, int) else None,
                               url=str(url) if url and item.get("mode") != "tombstone" else None))
    return tuple(found)


class FileDownloadError(HirebotError):
    """An attached file could not be fetched; the message says why, for the person who attached it."""


class FileFetcher:
    """Downloads files attached to messages with the bot token (which needs `files:read`).

    The token is only ever sent to Slack's own file hosts over HTTPS, or to the host of
    HIREBOT_SLACK_API_URL (the fake Slack in tests and demos serves files there too).
    """

    def __init__(self, api_url: str = SLACK_API_URL, *, max_files: int = MAX_ATTACHED_FILES,
                 max_bytes: int = MAX_FILE_BYTES, timeout: float = WEB_API_TIMEOUT_SECONDS) -> None:
        override = urlsplit(api_url)
        self._override = (override.scheme, override.netloc) if api_url != SLACK_API_URL else None
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.timeout = timeout

    def trusted(self, url: str) -> bool:
        parts = urlsplit(url)
        if self._override is not None and (parts.scheme, parts.netloc) == self._override:
            return True
        return parts.scheme == "https" and (parts.hostname or "").endswith(SLACK_FILE_HOSTS)

    async def fetch_all(self, files: Sequence[SlackFile], token: str | None,
                        session: aiohttp.ClientSession | None) -> tuple[tuple[ChatFile, ...], tuple[str, ...]]:
        """The files that could be read, and one "<name>: <why not>" for each that couldn't."""
        if not files:
            return (), ()
        read: list[ChatFile] = []
        problems = [f"{item.name}: I read at most {self.max_files} files from one message"
                    for item in files[self.max_files:]]
        own_session = session is None
        session = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            for item in files[:self.max_files]:
                try:
                    read.append(await self.fetch(item, token, session))
                except FileDownloadError as exc:
                    log.warning("could not download an attached file (%s, %s): %s", item.name, item.mimetype, exc)
                    problems.append(f"{item.name}: {exc}")
        finally:
            if own_session:
                await session.close()
        return tuple(read), tuple(problems)

    async def fetch(self, item: SlackFile, token: str | None, session: aiohttp.ClientSession) -> ChatFile:
        limit_mb = self.max_bytes // (1024 * 1024)
        if item.size is not None and item.size > self.max_bytes:
            raise FileDownloadError(f"it is larger than {limit_mb} MB")
        if not item.url:
            raise FileDownloadError("Slack didn't give me a link to download it")
        if not self.trusted(item.url):
            raise FileDownloadError("it isn't stored in Slack")
        if not token:
            raise FileDownloadError("I have no Slack token to download it with")
        try:
            # No redirects: Slack answers a token it won't accept with a redirect to its sign-in page.
            async with session.get(item.url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False,
                                   timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if response.status != 200:
                    raise FileDownloadError(_download_refusal(response.status))
                if response.content_type == "text/html" and item.mimetype != "text/html":
                    raise FileDownloadError("Slack sent its sign-in page instead of the file; hirebot may be "
                                            "missing the files:read permission")
                data = bytearray()
                async for chunk in response.content.iter_chunked(FILE_CHUNK_BYTES):
                    data += chunk
                    if len(data) > self.max_bytes:
                        raise FileDownloadError(f"it is larger than {limit_mb} MB")
        except TimeoutError:
            raise FileDownloadError("Slack didn't send it in time") from None
        except aiohttp.ClientError as exc:
            raise FileDownloadError(f"I couldn't reach Slack to download it ({type(exc).__name__})") from None
        return ChatFile(name=item.name, content_type=item.mimetype or response.content_type, data=bytes(data))


def _download_refusal(status: int) -> str:
    if status in (401, 403) or 300 <= status < 400:  # Slack redirects a token it won't take to its sign-in page
        return f"Slack refused to hand it over (HTTP {status}); hirebot may be missing the files:read permission"
    if status in (404, 410):
        return "Slack no longer has it"
    return f"Slack couldn't hand it over just now (HTTP {status})"
