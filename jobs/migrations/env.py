"""Alembic environment: always handed a live connection by ``jobs.migrate``."""

from alembic import context

from jobs.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite changes tables by copying them
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
