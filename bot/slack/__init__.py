"""Slack front end: only what is Slack's. Bolt wiring (app.py), Block Kit (blocks.py, home.py,
schedule_modal.py), the Web API client (web_api.py), installations (installation.py), markup cleaning
(markup.py) and a fake Slack (sandbox.py).

`hirebot run` uses `SlackFrontEnd.for_runtime(...)` (bot/server.py's registry). Conversations go through
the shared seam in bot/frontend/ (the TurnDesk answers, SlackConversation is its ChatPlatform), and
nothing here holds business rules.
"""
