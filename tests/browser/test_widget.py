"""The storefront widget in a real browser: placement kinds, CORS, the view hook, failing quietly."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import app_config, start_server

HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>a store elsewhere</title></head><body>
<script>
window.seen = [];
["render", "view", "click", "error"].forEach(function (name) {
  document.addEventListener("vitrine:" + name, function (e) { window.seen.push([name, e.target.id, e.detail]); });
});
</script>
<div id="related" data-vitrine-placement="product" data-item-id="{item}" data-api="{api}" data-n="10"
     data-link="/p/{item_id}" data-currency="EUR"></div>
<div id="personal" data-vitrine-placement="home" data-user-id="{user}" data-api="{api}" data-n="4"></div>
<div id="cart" data-vitrine-placement="cart" data-cart="{item},{other}" data-api="{api}" data-n="4"></div>
<div id="popular" data-vitrine-placement="home" data-api="{api}" data-n="3"></div>
<div id="unknown" data-vitrine-placement="product" data-item-id="no-such-item" data-api="{api}"></div>
<script src="{api}/widget.js" defer></script>
</body></html>"""


VISIBLE_SHARE = """
var track = document.querySelector('#' + arguments[0] + ' .vitrine-track').getBoundingClientRect(), share = {};
document.querySelectorAll('#' + arguments[0] + ' .vitrine-card').forEach(function (card) {
  var r = card.getBoundingClientRect();
  share[card.getAttribute('data-item-id')] = Math.max(0, Math.min(r.right, track.right) - Math.max(r.left, track.left)) / r.width;
});
return share;"""


def host_page(api: str, item: str, other: str, user: str) -> str:
    return (HOST_PAGE.replace("{api}", api).replace("{item}", item).replace("{other}", other)
            .replace("{user}", user))


def host_app(page: str):
    """A second origin that serves one store page embedding the widget from the Vitrine server."""
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page.encode()]
    return app


def settled(browser, *ids: str, timeout: float = 10) -> dict[str, str]:
    """Wait until each placeholder left the loading state; returns each one's final state."""
    script = ("return arguments[0].map(function (id) { var el = document.getElementById(id); "
              "return el && el.getAttribute('data-vitrine-state'); });")  # null while the page is changing
    WebDriverWait(browser, timeout).until(
        lambda d: all(state in ("ready", "empty", "error") for state in d.execute_script(script, list(ids))))
    return dict(zip(ids, browser.execute_script(script, list(ids))))


@pytest.fixture(scope="module")
def ids(live_server):
    served = live_server.app.extensions["vitrine"].store.served()
    model = served.version.model
    return {"item": str(model.item_ids[1]), "other": str(model.item_ids[2]), "user": str(model.user_ids[0])}


@pytest.fixture(scope="module")
def other_origin(live_server, ids):
    # "localhost" and "127.0.0.1" are different origins, so every widget call is cross-origin.
    page = host_page(live_server.url, **ids)
    server = start_server(host_app(page))
    yield server.url.replace("127.0.0.1", "localhost")
    server.stop()


def test_widget_renders_every_placement_kind_across_origins(browser, other_origin, ids):
    browser.get(other_origin + "/")
    states = settled(browser, "related", "personal", "cart", "popular", "unknown")
    assert states == {"related": "ready", "personal": "ready", "cart": "ready", "popular": "ready",
                      "unknown": "error"}
    cards = browser.find_elements(By.CSS_SELECTOR, "#related .vitrine-card")
    assert len(cards) == 10
    first = cards[0]
    assert first.find_element(By.CLASS_NAME, "vitrine-name").text
    assert first.find_element(By.CLASS_NAME, "vitrine-price").text.startswith("€")
    assert first.find_element(By.CLASS_NAME, "vitrine-reason").text
    assert first.get_attribute("href").endswith("/p/" + first.get_attribute("data-item-id"))
    assert ids["item"] not in [card.get_attribute("data-item-id") for card in cards]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#popular .vitrine-card")) == 3
    # The demo catalog's images are paths on the Vitrine host; on this other site they do not load, so
    # every card falls back to its letter tile instead of a broken picture.
    WebDriverWait(browser, 5).until(lambda d: all(
        t.get_attribute("data-fallback") == "1" for t in d.find_elements(By.CSS_SELECTOR, "#related .vitrine-thumb")))
    assert not browser.find_elements(By.CSS_SELECTOR, "#related .vitrine-thumb img")
    # An unknown product degrades to nothing: no markup, one error event the page can see.
    assert browser.find_element(By.ID, "unknown").get_attribute("innerHTML") == ""
    errors = [e for e in browser.execute_script("return window.seen") if e[0] == "error"]
    assert [(e[1], e[2]["status"]) for e in errors] == [("unknown", 404)]


def test_widget_reports_views_of_shown_items_once(browser, other_origin):
    browser.get(other_origin + "/")
    settled(browser, "related")
    views = lambda: [e[2] for e in browser.execute_script("return window.seen") if e[0] == "view" and e[1] == "related"]
    WebDriverWait(browser, 5).until(lambda d: views())
    first = views()
    shown = browser.execute_script(VISIBLE_SHARE, "related")
    reported = {v["item_id"] for v in first}
    assert {item for item, share in shown.items() if share > 0.55} <= reported
    assert reported <= {item for item, share in shown.items() if share >= 0.45} and len(reported) < 10
    assert all(v["placement"] == "product" and v["model_version"] and v["position"] >= 1 for v in first)
    browser.find_element(By.CSS_SELECTOR, "#related button[aria-label=next]").click()
    WebDriverWait(browser, 5).until(lambda d: len(views()) > len(first))
    seen = [v["item_id"] for v in views()]
    assert len(seen) == len(set(seen))  # each item reported once


def test_widget_stays_empty_when_cors_refuses_the_store(browser, browser_models, tmp_path, ids):
    from api import create_app

    strict = start_server(create_app(app_config(browser_models, tmp_path, CORS_ORIGINS="https://shop.example")))
    shop = start_server(host_app(host_page(strict.url, **ids)))
    try:
        browser.get(shop.url.replace("127.0.0.1", "localhost") + "/")
        states = settled(browser, "related", "popular")
        assert states == {"related": "error", "popular": "error"}
        assert browser.find_element(By.ID, "related").get_attribute("innerHTML") == ""
    finally:
        shop.stop()
        strict.stop()


def test_demo_store_shows_the_widget_on_product_and_cart_pages(browser, live_server, ids):
    browser.get(f"{live_server.url}/demo/store/product/{ids['item']}")
    assert settled(browser, "related") == {"related": "ready"}
    browser.find_element(By.CSS_SELECTOR, "button.buy").click()
    WebDriverWait(browser, 5).until(lambda d: d.current_url.endswith("/demo/store/cart"))
    assert settled(browser, "complements") == {"complements": "ready"}
    assert browser.find_element(By.ID, "cart-count").text == "1"
    shown = [c.get_attribute("data-item-id") for c in browser.find_elements(By.CSS_SELECTOR, "#complements .vitrine-card")]
    assert shown and ids["item"] not in shown
    WebDriverWait(browser, 5).until(lambda d: "seen" in d.find_element(By.ID, "view-log").text)


LOADED_IMAGES = """return Array.prototype.map.call(document.querySelectorAll('#' + arguments[0] + ' .vitrine-card img'),
  function (img) { return [img.getAttribute('loading'), img.complete && img.naturalWidth > 0]; });"""


def test_demo_store_cards_show_the_catalogs_images(browser, live_server, ids, screen):
    browser.get(f"{live_server.url}/demo/store/product/{ids['item']}")
    assert settled(browser, "related") == {"related": "ready"}
    assert browser.find_element(By.CSS_SELECTOR, "article.product img.picture").get_attribute("src").endswith(
        f"/demo/store/images/{ids['item']}.svg")
    browser.execute_script("document.getElementById('related').scrollIntoView()")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(LOADED_IMAGES, "related")[0][1])
    images = browser.execute_script(LOADED_IMAGES, "related")
    assert len(images) == 10 and all(loading == "lazy" for loading, _ in images)
    cards = browser.find_elements(By.CSS_SELECTOR, "#related .vitrine-card")
    first = cards[0].get_attribute("data-item-id")
    assert cards[0].find_element(By.TAG_NAME, "img").get_attribute("src").endswith(f"/{first}.svg")
    browser.execute_script("window.scrollTo(0, 0)")
    screen.save(browser, "store-product.png")


def test_demo_store_category_pages_show_that_categorys_best_sellers(browser, live_server):
    labels = live_server.app.extensions["vitrine"].store.served().labels
    category = sorted({c for _, c in labels.values()})[0]
    browser.get(f"{live_server.url}/demo/store?category={category}")
    assert settled(browser, "picks") == {"picks": "ready"}
    assert browser.find_element(By.ID, "picks").get_attribute("data-category") == category
    shown = [c.get_attribute("data-category") for c in browser.find_elements(By.CSS_SELECTOR, "#picks .vitrine-card")]
    assert shown and set(shown) == {category}
    assert category in browser.find_element(By.CSS_SELECTOR, "#picks .vitrine-title").text


def test_an_empty_cart_says_so_and_its_widget_does_not_claim_to_match_it(browser, live_server):
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/demo/store/cart")
    assert "Your cart is empty" in browser.find_element(By.TAG_NAME, "main").text
    assert settled(browser, "complements") == {"complements": "ready"}
    title = browser.find_element(By.CSS_SELECTOR, "#complements .vitrine-title").text
    assert title in ("Picked for you", "Popular right now")
    served = live_server.app.extensions["vitrine"].store.served()
    assert served.name not in browser.find_element(By.TAG_NAME, "footer").text
