"""Alembic migrations; applied with ``leadership-pods db upgrade``."""
