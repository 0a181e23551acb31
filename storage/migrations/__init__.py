"""Alembic migrations (applied on start and by `townsquare migrate`)."""
