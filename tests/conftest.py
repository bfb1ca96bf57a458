"""Registers the fixture modules every test may use (tests/rigs/): databases, and the rigs test modules
share. Nothing is defined here, so no test module has a reason to import this file."""

from __future__ import annotations

pytest_plugins = [
    "tests.rigs.databases",
    "tests.rigs.greenhouse_outbox",
    "tests.rigs.greenhouse_sandbox",
    "tests.rigs.lever_outbox",
    "tests.rigs.slack",
    "tests.rigs.teams",
    "tests.rigs.webhook_hub",
]
