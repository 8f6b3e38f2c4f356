"""One blueprint per resource; ``BLUEPRINTS`` is what ``create_app`` registers."""
from . import admin, batch, cart, health, items, popular, sessions, users

BLUEPRINTS = (users.bp, sessions.bp, batch.bp, items.bp, cart.bp, popular.bp, admin.bp, health.bp)
