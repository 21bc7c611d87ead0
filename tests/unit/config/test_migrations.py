"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from leadership_pods import models  # noqa: F401
from leadership_pods.config.database import Base
from leadership_pods.config.migrate import current_revision, upgrade


def test_upgrade_to_head_matches_the_models(database_url):
    engine = create_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # idempotent
        assert current_revision(engine) is not None
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
