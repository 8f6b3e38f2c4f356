"""Item cards: what every answer shows of an item, the catalog's links checked once more."""
from __future__ import annotations

from flask import render_template_string

from api.serving.cards import Card, item_cards


def test_cards_take_links_from_updates_over_the_catalog_and_drop_unsafe_ones():
    labels = {"p1": ("Mug", "kitchen"), "p2": ("Lamp", "lighting"), "p3": ("Vase", "home")}
    catalog = {"p1": {"price": 4.5, "url": "https://shop.example/p1", "image_url": "/img/p1.jpg"},
               "p2": {"price": 12, "url": "javascript:alert(1)", "image_url": "data:image/png;base64,AAAA"}}
    updates = {"p1": {"price": 3.0, "image_url": "https://cdn.example/p1.webp"}}
    cards = item_cards(labels, catalog, updates)
    assert cards["p1"] == Card("Mug", "kitchen", 3.0, "https://shop.example/p1", "https://cdn.example/p1.webp")
    assert cards["p2"] == Card("Lamp", "lighting", 12.0, None, None)  # trained before links were checked
    assert cards["p3"] == Card("Vase", "home", None, None, None)


def test_pages_showing_catalog_rows_use_only_safe_links(shared_app):
    page = "{% for link in links %}{{ 'yes' if link is link else 'no' }} {% endfor %}"
    links = ["https://cdn.example/p.jpg", "/img/p.jpg", "javascript:alert(1)", "//evil.example/p.jpg", "", None, 3]
    with shared_app.app_context():
        assert render_template_string(page, links=links).split() == ["yes", "yes", "no", "no", "no", "no", "no"]
