"""`hirebot teams-package`: the zip a Teams admin uploads, its manifest validated against Microsoft's published
v1.17 manifest schema (vendored in tests/data from microsoft/json-schemas), and its icons read back as PNGs."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from adapters.errors import ConfigError
from bot.teams.package import build_manifest, build_package, color_icon, outline_icon
from tests.cli_process import cli_env, run_cli

SCHEMA = Path(__file__).parent / "data" / "teams_manifest_v1.17.schema.json"
APP_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def validate(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(manifest)


def read_png(data: bytes) -> tuple[int, int, list[list[tuple[int, int, int, int]]]]:
    """Width, height and RGBA rows of an unfiltered 8-bit RGBA PNG (what the package writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, dict[bytes, bytes]()
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        offset += 12 + length
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 6)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 4 * width
    rows = []
    for y in range(height):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0
        rows.append([tuple(line[1 + 4 * x:5 + 4 * x]) for x in range(width)])
    return width, height, rows  # type: ignore[return-value]


def test_the_manifest_is_valid_against_the_published_schema() -> None:
    manifest = build_manifest(APP_ID, "https://hirebot.acme.test")
    validate(manifest)
    assert manifest["$schema"].endswith("/teams/v1.17/MicrosoftTeams.schema.json")
    assert manifest["manifestVersion"] == "1.17"
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    titles = {command["title"] for commands in bot["commandLists"] for command in commands["commands"]}
    assert {"who is", "schedule", "help"} <= titles
    assert manifest["validDomains"] == ["hirebot.acme.test"]


def test_the_schema_would_catch_a_broken_manifest() -> None:
    manifest = build_manifest(APP_ID, "https://hirebot.acme.test")
    for broken in ({**manifest, "packageName": "com.acme.hirebot"},
                   {**manifest, "bots": [{**manifest["bots"][0], "scopes": ["everywhere"]}]},
                   {**manifest, "accentColor": "blue"}):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def test_the_package_holds_the_manifest_and_both_icons_at_its_root() -> None:
    archive = zipfile.ZipFile(io.BytesIO(build_package(APP_ID, "https://bot.example:8443/")))
    assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    manifest = json.loads(archive.read("manifest.json"))
    validate(manifest)
    assert manifest["validDomains"] == ["bot.example"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert archive.read("color.png") == color_icon() and archive.read("outline.png") == outline_icon()


def test_the_colour_icon_is_192_square_and_opaque() -> None:
    width, height, rows = read_png(color_icon())
    assert (width, height) == (192, 192)
    pixels = [p for row in rows for p in row]
    assert all(p[3] == 255 for p in pixels)
    assert (255, 255, 255, 255) in pixels and len(set(pixels)) > 2  # a white mark on the colour


def test_the_outline_icon_is_32_square_white_on_transparency() -> None:
    width, height, rows = read_png(outline_icon())
    assert (width, height) == (32, 32)
    pixels = [p for row in rows for p in row]
    assert all(p[:3] == (255, 255, 255) for p in pixels if p[3] > 0)
    assert rows[0][0][3] == 0 and rows[16][16][3] < 255  # transparent around and inside the outline
    assert sum(p[3] == 255 for p in pixels) > 40  # and there is an outline


@pytest.mark.parametrize(("app_id", "url", "says"), [
    ("my-bot", "https://bot.example", "GUID"),
    (APP_ID, "bot.example", "HIREBOT_PUBLIC_URL"),
])
def test_bad_settings_are_named(app_id: str, url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        build_manifest(app_id, url)


def test_the_command_writes_the_package(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    result = run_cli(["teams-package", "--out", str(out)],
                     cli_env(tmp_path, TEAMS_APP_ID=APP_ID, HIREBOT_PUBLIC_URL="https://hirebot.acme.test"))
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout and "admin center" in result.stdout
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    validate(manifest)
    assert manifest["bots"][0]["botId"] == APP_ID


def test_the_command_writes_into_a_folder_and_warns_about_http(tmp_path: Path) -> None:
    result = run_cli(["teams-package", "--out", str(tmp_path)],
                     cli_env(tmp_path, TEAMS_APP_ID=APP_ID, HIREBOT_PUBLIC_URL="http://localhost:3000"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "hirebot-teams.zip").exists() and "https" in result.stderr


def test_the_command_without_an_app_id_says_what_to_set(tmp_path: Path) -> None:
    result = run_cli(["teams-package", "--out", str(tmp_path / "x.zip")], cli_env(tmp_path, TEAMS_APP_ID=""))
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: Set TEAMS_APP_ID") and "Traceback" not in result.stderr
    assert not (tmp_path / "x.zip").exists()
