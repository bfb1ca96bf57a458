"""Slack front end: Block Kit rendering, the Bolt app wiring, App Home, installations and a fake Slack.

`hirebot run` uses `SlackFrontEnd.from_settings(...)`; everything else here translates between Slack and
the platform-neutral core (bot/core.py) and holds no business rules.
"""
