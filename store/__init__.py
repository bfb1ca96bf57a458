"""Persistence: SQLAlchemy models, Alembic migrations, scoped queries and the sync engine."""
