"""Alembic environment: runs against the URL handed in by ``hirebridge.db.migrate``."""

from __future__ import annotations

from alembic import context

from hirebridge.db.engine import make_engine
from hirebridge.db.models import Base

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")


def run_migrations() -> None:
    assert url is not None, "no database URL given to the migrations"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
