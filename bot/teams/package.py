"""The Teams app package a Teams admin uploads (`hirebot teams-package`): manifest.json for the bot
registration in TEAMS_APP_ID, plus the two icons Teams asks for, drawn here so no image library is needed.

The manifest follows schema 1.17 (a safe floor: later versions only add Copilot and agent features). It
lists the bot in personal chats, teams and group chats with a command menu, and HIREBOT_PUBLIC_URL's host
as a valid domain. The icons are a white speech bubble: on the accent colour (color.png, 192x192) and as a
white outline on transparency (outline.png, 32x32).
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adapters.errors import ConfigError

SCHEMA_URL = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
MANIFEST_VERSION = "1.17"
ACCENT = (0x4F, 0x46, 0xE5)
SCOPES = ["personal", "team", "groupChat"]
COMMANDS = [
    ("who is", "who is <candidate>: their card, with stage, job and links to your ATS"),
    ("schedule", "schedule with <candidate>: propose interview times from everyone's calendars"),
    ("help", "What hirebot can do, and how to ask"),
]
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)")

Shape = Callable[[float, float], bool]  # is the point (in 0..1 units of the icon) inked?


def app_version() -> str:
    """hirebot's version as X.Y.Z (the manifest wants plain semver; it changes whenever hirebot does)."""
    try:
        found = _SEMVER.match(metadata.version("hirebot"))
    except metadata.PackageNotFoundError:
        found = None
    return ".".join(str(int(part)) for part in found.groups()) if found else "0.1.0"


def build_manifest(app_id: str, public_url: str, *, version: str | None = None) -> dict[str, Any]:
    """manifest.json for the bot `app_id` (the Azure bot's Microsoft App ID) served at `public_url`."""
    if not _GUID.match(app_id):
        raise ConfigError("TEAMS_APP_ID must be the Azure bot's Microsoft App ID, a GUID like "
                          "01234567-89ab-cdef-0123-456789abcdef.")
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"HIREBOT_PUBLIC_URL must be the address Teams reaches hirebot at "
                          f"(https://...), got {public_url!r}.")
    site = f"{parts.scheme}://{parts.netloc}"
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version or app_version(),
        "id": app_id,  # the Teams app id; the bot's id keeps it stable across re-uploads
        "developer": {"name": "hirebot", "websiteUrl": site, "privacyUrl": site, "termsOfUseUrl": site},
        "name": {"short": "hirebot", "full": "hirebot recruiting assistant"},
        "description": {
            "short": "Candidates, interviews and ATS notes, answered in chat.",
            "full": ("Ask hirebot about candidates from your applicant tracking system (\"who is Jane Doe\"), "
                     "schedule interviews (\"schedule with Jane Doe\"), get briefings before your interviews "
                     "and reminders to send feedback. Candidate details stay private: in a channel they go to "
                     "your 1:1 chat with hirebot."),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [{
            "botId": app_id,
            "scopes": list(SCOPES),
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": list(SCOPES),
                              "commands": [{"title": title, "description": text} for title, text in COMMANDS]}],
        }],
        # identity: who is asking (their email maps them to a hirebot user); messageTeamMembers: briefings,
        # meeting notices and follow-up reports arrive in each person's 1:1 chat.
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [parts.hostname],
    }


def build_package(app_id: str, public_url: str, *, version: str | None = None) -> bytes:
    """The app package zip: manifest.json, color.png and outline.png at its root, as Teams wants."""
    manifest = build_manifest(app_id, public_url, version=version)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()


def package_from_env(environ: Mapping[str, str]) -> tuple[bytes, str]:
    """The package for TEAMS_APP_ID and HIREBOT_PUBLIC_URL, and the app id it was made for."""
    app_id = (environ.get("TEAMS_APP_ID") or "").strip()
    if not app_id:
        raise ConfigError("Set TEAMS_APP_ID to the Azure bot's Microsoft App ID (Azure portal > your Azure Bot > "
                          "Configuration) before making the Teams app package.")
    public_url = (environ.get("HIREBOT_PUBLIC_URL") or "").strip().rstrip("/")
    if not public_url:
        port = (environ.get("HIREBOT_PORT") or "3000").strip()
        public_url = f"http://localhost:{port}"
    return build_package(app_id, public_url), app_id


def write_package(path: Path, data: bytes) -> None:
    """Write the zip whole or not at all (a half-written package would fail to upload confusingly)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


# ---------------------------------------------------------------------------------------------- icons


def _bubble(x: float, y: float) -> bool:
    """A speech bubble: a rounded rectangle with a tail at the lower left (units of the icon's side)."""
    left, top, right, bottom, radius = 0.18, 0.22, 0.82, 0.66, 0.11
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    if left <= x <= right and top <= y <= bottom and (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2:
        return True
    # The tail: a triangle under the left part of the bubble.
    if bottom - 0.01 <= y <= 0.82:
        depth = max(0.0, (y - bottom) / (0.82 - bottom))
        return 0.30 - 0.04 * depth <= x <= 0.46 - 0.20 * depth
    return False


def _dots(x: float, y: float) -> bool:
    return any((x - cx) ** 2 + (y - 0.44) ** 2 <= 0.045 ** 2 for cx in (0.35, 0.50, 0.65))


def _outline(stroke: float) -> Shape:
    """The bubble's edge, `stroke` wide, plus its dots."""
    def inked(x: float, y: float) -> bool:
        if _dots(x, y):
            return True
        if not _bubble(x, y):
            return False
        return not all(_bubble(x + dx, y + dy) for dx, dy in
                       ((stroke, 0), (-stroke, 0), (0, stroke), (0, -stroke),
                        (stroke * 0.7, stroke * 0.7), (-stroke * 0.7, stroke * 0.7),
                        (stroke * 0.7, -stroke * 0.7), (-stroke * 0.7, -stroke * 0.7)))
    return inked


def _coverage(shape: Shape, size: int, samples: int) -> list[list[float]]:
    """How much of each pixel `shape` covers (0..1), sampled samples x samples times per pixel."""
    step = 1.0 / (size * samples)
    offsets = [(i + 0.5) * step for i in range(samples)]
    total = samples * samples
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            x0, y0 = px / size, py / size
            hits = sum(shape(x0 + ox, y0 + oy) for oy in offsets for ox in offsets)
            row.append(hits / total)
        rows.append(row)
    return rows


def color_icon(size: int = 192) -> bytes:
    """The full-colour icon: a white bubble with accent-coloured dots on the accent colour."""
    bubble = _coverage(_bubble, size, 3)
    dots = _coverage(_dots, size, 3)
    pixels = []
    for bubble_row, dots_row in zip(bubble, dots, strict=True):
        row = []
        for white, dot in zip(bubble_row, dots_row, strict=True):
            ink = white * (1.0 - dot)
            row.append((*(round(c + (255 - c) * ink) for c in ACCENT), 255))
        pixels.append(row)
    return png(pixels)


def outline_icon(size: int = 32) -> bytes:
    """The outline icon: the bubble's white edge on transparency (Teams tints it)."""
    coverage = _coverage(_outline(1.6 / size), size, 4)
    return png([[(255, 255, 255, round(255 * c)) for c in row] for row in coverage])


def png(pixels: list[list[tuple[int, ...]]]) -> bytes:
    """An 8-bit RGBA PNG of `pixels` (rows of (r, g, b, a))."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))
