"""One settings object read from the environment, validated at start with messages that say how to fix it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from adapters.errors import ConfigError


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int_env(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from exc


def company_name() -> str | None:
    """`HIREBOT_COMPANY_NAME`: who candidates hear from in emails and on booking pages (none: no name)."""
    name = " ".join((_env("HIREBOT_COMPANY_NAME") or "").split())
    return name[:200] or None


def default_workers() -> int:
    """Core processes answering questions by default: one per core beyond the one serving requests
    (at least one, at most four; the name index is loaded in each)."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


@dataclass(frozen=True)
class Settings:
    """Everything hirebot reads from its environment."""

    data_dir: Path
    database_url: str
    secret_key: str | None = field(default=None, repr=False)
    port: int = 3000
    public_url: str = "http://localhost:3000"
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str = "hirebot <hirebot@localhost>"
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    log_level: str = "INFO"
    company_name: str | None = None
    workers: int = 1  # core processes answering questions (HIREBOT_WORKERS, `hirebot run --workers`)

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("HIREBOT_DATA_DIR", "./var") or "./var").expanduser()
        database_url = _env("HIREBOT_DATABASE_URL") or f"sqlite:///{(data_dir / 'hirebot.sqlite3').resolve()}"
        port = _int_env("HIREBOT_PORT", 3000)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=_env("HIREBOT_SECRET_KEY"),
            port=port,
            public_url=(_env("HIREBOT_PUBLIC_URL") or f"http://localhost:{port}").rstrip("/"),
            smtp_url=_env("HIREBOT_SMTP_URL"),
            mail_from=_env("HIREBOT_MAIL_FROM") or "hirebot <hirebot@localhost>",
            slack_bot_token=_env("SLACK_BOT_TOKEN"),
            slack_signing_secret=_env("SLACK_SIGNING_SECRET"),
            slack_app_token=_env("SLACK_APP_TOKEN"),
            slack_client_id=_env("SLACK_CLIENT_ID"),
            slack_client_secret=_env("SLACK_CLIENT_SECRET"),
            slack_api_url=_env("HIREBOT_SLACK_API_URL"),
            log_level=(_env("HIREBOT_LOG_LEVEL", "INFO") or "INFO").upper(),
            company_name=company_name(),
            workers=_workers(),
        )


def _workers() -> int:
    workers = _int_env("HIREBOT_WORKERS", default_workers())
    if not 1 <= workers <= 64:
        raise ConfigError(f"HIREBOT_WORKERS must be between 1 and 64, got {workers}.")
    return workers
