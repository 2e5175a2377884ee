"""Alembic's environment: run by `progress_app.store.migrate` on the app's own connection (never from a URL in
an ini file). SQLite alters tables in batch mode (copy and move), which Alembic does when `render_as_batch` is on.
"""

from __future__ import annotations

from alembic import context

from progress_app.store.tables import OWN_TABLES, metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Only our tables: APScheduler creates and keeps its own `apscheduler_jobs`."""
    table = obj if type_ == 'table' else getattr(obj, 'table', None)
    return table is None or table.name in OWN_TABLES


connection = context.config.attributes['connection']
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  include_object=include_object, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
