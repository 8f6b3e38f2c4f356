"""One blueprint per resource; ``BLUEPRINTS`` is what ``create_app`` registers."""
from api.routes import (admin, analytics, batch, cart, catalog, customers, erasure, events, experiments, health,
                        items, placements, popular, rules, sessions, users, visitors)

BLUEPRINTS = (users.bp, sessions.bp, batch.bp, items.bp, cart.bp, popular.bp, customers.bp, admin.bp, health.bp,
               rules.bp, placements.bp, catalog.bp, events.bp, visitors.bp, erasure.bp,
               experiments.bp, analytics.bp)
