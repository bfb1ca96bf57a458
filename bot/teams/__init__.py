"""Microsoft Teams front end (issue 14): one thin folder beside bot/slack/, sharing the core through bot/frontend/.

config.py reads the Teams settings, auth.py checks the Bot Framework JWT on inbound activities, connector.py
calls the Bot Connector REST API, markup.py turns Teams markup into plain text, and sandbox.py is a fake Bot
Framework for tests. No Bot Framework SDK is used (docs/teams.md says why).
"""
