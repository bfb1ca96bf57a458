"""Packaging metadata as setuptools reads it: a build must not print the license deprecation banner that
setuptools shows for a `license = { text = ... }` table (it wants a PEP 639 SPDX string, setuptools >= 77)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_the_license_is_an_spdx_string_and_the_build_uses_a_setuptools_that_reads_it() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert config["project"]["license"] == "MIT"
    # setuptools rejects an SPDX license next to a "License ::" classifier.
    assert not [c for c in config["project"].get("classifiers", []) if c.startswith("License ::")]
    [setuptools] = [r for r in config["build-system"]["requires"] if r.startswith("setuptools")]
    found = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", setuptools.replace(" ", ""))
    assert found is not None and int(found.group(1)) >= 77
