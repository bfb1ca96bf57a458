"""The conversation core and its front ends (console, Slack, Teams) plus the web server."""
