"""The merchant's side of the service: rules, placement settings and catalog updates.

``store`` keeps them (SQLAlchemy, audited, versioned); ``cache`` turns the stored state into each
worker's re-ranker and item table; ``changes`` and ``catalog_upload`` check a write before it is
stored; ``preview`` and ``notes`` show what the rules do to an answer. Scoring and rule logic
themselves live in ``recommender.rules``.
"""
