"""Fake ATS servers for demos and tests: faithful enough that an adapter proven here works on the real service.

Every fake is built on the kit in this package (see README.md); `python -m adapters.sandbox <provider>` serves one.
"""
