"""Outcomes: what the picks earned, read from the event store — impressions and clicks per placement
and day (SQL aggregates), add-to-carts, orders and revenue attributed to the clicks that led to
them (``attribution``), and the same per visitor for an experiment's statistics."""
