"""The demo store's own pieces: generated product pictures, category pages and the cart's texts."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from api.demo_pictures import product_svg


def test_each_product_has_a_picture_of_its_own(client, shared_app):
    served = shared_app.extensions["vitrine"].store.served()
    first, second = served.version.model.item_ids[:2].tolist()
    picture = client.get(f"/demo/store/images/{first}.svg")
    assert picture.status_code == 200 and picture.mimetype == "image/svg+xml"
    assert "max-age" in picture.headers["Cache-Control"]
    root = ElementTree.fromstring(picture.data)
    assert root.get("aria-label") == served.labels[first][0]
    assert picture.data != client.get(f"/demo/store/images/{second}.svg").data
    assert client.get("/demo/store/images/no-such-item.svg").status_code == 404


def test_a_picture_escapes_what_the_catalog_says():
    svg = product_svg("p1", 'Mug <script>alert("x")</script> #3', "kitchen & home", "<b>")
    root = ElementTree.fromstring(svg)  # well-formed: every value was escaped
    assert "<script>" not in svg and root.get("aria-label").startswith("Mug <script>")


def test_category_pages_ask_the_widget_for_that_category(client, shared_app):
    served = shared_app.extensions["vitrine"].store.served()
    category = sorted({c for _, c in served.labels.values()})[0]
    page = client.get(f"/demo/store?category={category}").get_data(as_text=True)
    assert f'data-category="{category}"' in page and "Best sellers in" in page
    home = client.get("/demo/store").get_data(as_text=True)
    assert "data-category=" not in home.split('id="picks"')[1].split(">")[0]
    cart = client.get("/demo/store/cart").get_data(as_text=True)
    assert "Your cart is empty" in cart and "Goes well with your cart" not in cart
    assert served.name not in cart  # the storefront does not show the model version
