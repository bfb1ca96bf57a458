"""Fake ATS servers for demos and tests: faithful enough that an adapter proven here works on the real service."""
