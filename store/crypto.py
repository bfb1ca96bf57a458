"""Encryption of ATS credentials at rest.

The key comes from HIREBOT_SECRET_KEY; for local use one is generated once into the data dir,
readable by its owner only. Any passphrase works: it is stretched into a Fernet key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.errors import ConfigError
from store.files import make_private_dir

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

KEY_FILE_NAME = "secret.key"


def _fernet_key(secret: str) -> bytes:
    """Accept a Fernet key as is; stretch any other passphrase with SHA-256."""
    raw = secret.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except (ValueError, TypeError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def load_or_create_key(data_dir: Path, secret_key: str | None) -> bytes:
    """Return the Fernet key: from the environment, else from (or newly into) the data dir."""
    if secret_key:
        return _fernet_key(secret_key)
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        return _fernet_key(path.read_text())
    make_private_dir(data_dir)
    key = base64.urlsafe_b64encode(os.urandom(32))  # what Fernet.generate_key() makes, without importing it
    # O_EXCL + 0600: never widen permissions, never overwrite a key another process just wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _fernet_key(path.read_text())
    with os.fdopen(fd, "w") as handle:
        handle.write(key.decode())
    return key


class SecretBox:
    """Encrypts and decrypts small JSON secrets (API keys, client secrets, webhook keys)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @cached_property
    def _fernet(self) -> Fernet:
        # Imported on first use: commands that never open a secret (`hirebot ask`) skip loading cryptography.
        from cryptography.fernet import Fernet

        return Fernet(self._key)

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"

    def seal(self, secret: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(secret, sort_keys=True).encode())

    def open(self, token: bytes) -> dict[str, Any]:
        from cryptography.fernet import InvalidToken

        try:
            value = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise ConfigError(
                "Stored credentials cannot be decrypted: HIREBOT_SECRET_KEY differs from the key they "
                "were saved with. Restore the old key or reconnect the ATS."
            ) from exc
        if not isinstance(value, dict):
            raise ConfigError("Stored credentials are damaged; reconnect the ATS.")
        return value
