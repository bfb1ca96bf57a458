"""The web server's access log without credentials. aiohttp logs each request line and its Referer, and a
booking page's path (`/book/<token>`, and the Referer of every form posted from it) is the candidate's key
to their interview; here the token is replaced by a short hash (scheduler/log_redaction.py) before the line
is written. Pass `access_log_class=BookingSafeAccessLogger` to aiohttp."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from scheduler.log_redaction import redact_booking_links


class _Redacting(logging.LoggerAdapter[logging.Logger]):
    """Hands each record to the real logger with booking tokens hashed, in the line and in its `extra`
    fields (aiohttp puts the request line and headers there too, for structured log handlers)."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        if "extra" in kwargs:
            kwargs["extra"] = _redacted(kwargs["extra"])
        return (redact_booking_links(msg) if isinstance(msg, str) else msg), kwargs


class BookingSafeAccessLogger(AbstractAccessLogger):
    """aiohttp's own access log format and fields, booking tokens hashed."""

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        super().__init__(logger, log_format)
        self._format = AccessLogger(_Redacting(logger, {}), log_format)  # type: ignore[arg-type]

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self._format.log(request, response, time)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_booking_links(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    return value


__all__ = ["BookingSafeAccessLogger"]
