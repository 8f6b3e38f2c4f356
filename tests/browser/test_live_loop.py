"""The live loop in a real browser: what a visitor does on the demo store reaches the event store
and changes the next widget; without consent nothing is stored or sent."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import start_server
from .test_widget import host_app, settled

CONSENT_OFF_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>no consent</title></head><body>
<article data-vitrine-product="{item}"></article>
<div id="home" data-vitrine-placement="home" data-api="{api}" data-n="4"></div>
<script src="{api}/widget.js" data-consent="false" defer></script>
</body></html>"""


def event_count(live_server, **equal) -> int:
    from api.events import KEY

    return live_server.app.extensions[KEY].store.count(**equal)


def cards(browser, slot: str) -> list:
    return browser.find_elements(By.CSS_SELECTOR, f"#{slot} .vitrine-card")


def fresh_visitor(browser, live_server) -> None:
    browser.get(live_server.url + "/demo/store")
    browser.execute_script("localStorage.clear()")
    browser.delete_all_cookies()


def test_browsing_a_category_puts_it_first_on_the_home_widget(browser, live_server):
    catalog = live_server.app.extensions["vitrine"].store.served().version.catalog
    fresh_visitor(browser, live_server)
    browser.get(live_server.url + "/demo/store")
    settled(browser, "picks")
    before = [card.get_attribute("data-category") for card in cards(browser, "picks")]
    category = next(c for c in sorted({row["category"] for row in catalog.values()}) if c != before[0])
    viewed = [item for item, row in catalog.items() if row["category"] == category][:3]
    for item in viewed:
        browser.get(f"{live_server.url}/demo/store/product/{item}")
        settled(browser, "related")  # the widget renders after the page's view is stored
    visitor = browser.execute_script("return Vitrine.visitor()")
    assert visitor and event_count(live_server, visitor_id=visitor, type="view") == 3

    browser.get(live_server.url + "/demo/store")
    assert settled(browser, "picks") == {"picks": "ready"}
    shown = cards(browser, "picks")
    assert shown[0].get_attribute("data-category") == category
    assert browser.find_element(By.CSS_SELECTOR, "#picks .vitrine-title").text == "Picked for you"
    titles = {catalog[item]["title"] for item in viewed}
    reason = shown[0].find_element(By.CLASS_NAME, "vitrine-reason").text
    assert reason.startswith("because you viewed ") and reason.removeprefix("because you viewed ") in titles
    assert not set(viewed) & {card.get_attribute("data-item-id") for card in shown}


def test_the_stores_buttons_send_cart_and_purchase_events(browser, live_server):
    item = next(iter(live_server.app.extensions["vitrine"].store.served().version.catalog))
    fresh_visitor(browser, live_server)
    browser.get(f"{live_server.url}/demo/store/product/{item}")
    settled(browser, "related")
    visitor = browser.execute_script("return Vitrine.visitor()")
    browser.find_element(By.CSS_SELECTOR, "button.buy").click()
    WebDriverWait(browser, 5).until(lambda d: d.current_url.endswith("/demo/store/cart"))
    settled(browser, "complements")
    assert event_count(live_server, visitor_id=visitor, type="cart") == 1
    browser.find_element(By.CSS_SELECTOR, "#checkout button").click()
    WebDriverWait(browser, 5).until(lambda d: not d.find_elements(By.ID, "checkout"))
    settled(browser, "complements")
    assert event_count(live_server, visitor_id=visitor, type="purchase") == 1
    impressions = event_count(live_server, visitor_id=visitor, type="impression")
    assert impressions >= 1  # the related and cart widgets' cards that were on screen


def test_without_consent_nothing_is_stored_or_sent(browser, live_server):
    item = next(iter(live_server.app.extensions["vitrine"].store.served().version.catalog))
    page = CONSENT_OFF_PAGE.replace("{api}", live_server.url).replace("{item}", item)
    shop = start_server(host_app(page))
    try:
        browser.get(shop.url + "/")
        assert settled(browser, "home") == {"home": "ready"}
        before = event_count(live_server)  # the previous page's last impressions came as it closed
        browser.execute_script("return Vitrine.track('cart', {item_id: arguments[0]})", item)
        assert browser.execute_script("return localStorage.length") == 0 and event_count(live_server) == before
        assert browser.execute_script("return Vitrine.visitor()") is None
        browser.execute_script("Vitrine.consent(true); return Vitrine.track('cart', {item_id: arguments[0]})", item)
        visitor = browser.execute_script("return Vitrine.visitor()")
        assert visitor and event_count(live_server) == before + 1
        browser.execute_script("Vitrine.consent(false)")
        assert browser.execute_script("return localStorage.getItem('vitrine_visitor')") is None
    finally:
        shop.stop()
