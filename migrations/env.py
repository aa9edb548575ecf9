"""Alembic environment: migrations run against the URL set by ``gateway.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import TypeDecorator

from gateway.db import make_engine
from gateway.migrate import include_object
from gateway.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(kind: str, obj: object, autogen_context) -> str | bool:
    """Render our TypeDecorators as their plain storage type, so migrations stay standalone."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_online() -> None:
    """Run migrations in a transaction on a live connection."""
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          render_item=render_item, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
