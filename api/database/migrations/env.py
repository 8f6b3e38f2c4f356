"""Alembic environment: always online, on the connection ``api.database.migrate`` hands over."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
