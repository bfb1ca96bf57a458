"""What test modules share, so that no test module imports another: the rigs (a fake ATS or chat platform
with a store and a clock around it), their fixtures, and the helpers that drive them.

Modules that define fixtures are registered as plugins in tests/conftest.py (`pytest_plugins`), so a test
asks for a rig by naming its fixture; the rest of each module is plain code to import.
"""
