"""Alembic migrations of the rule store's schema, run by ``api.rules_store.migrate`` when a store opens."""
