"""The shopper's and the merchandiser's pages on a phone (390 × 844, touch): the carousel shows a
card and a half and scrolls by swiping, its arrows never take room from the cards, the demo store's
header stays compact, and the console's verdict and rule form fit the screen."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import PHONE, as_desktop, as_phone
from .test_console_rules import open_console
from .test_widget import VISIBLE_SHARE, settled

ARROWS_OUT_OF_THE_WAY = """
var track = document.querySelector('#' + arguments[0] + ' .vitrine-track').getBoundingClientRect();
return Array.prototype.map.call(document.querySelectorAll('#' + arguments[0] + ' .vitrine-nav'), function (b) {
  var r = b.getBoundingClientRect(), style = getComputedStyle(b);
  var hidden = style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0' || r.width === 0;
  var overlaid = r.left >= track.left - 1 && r.right <= track.right + 1;
  return hidden || overlaid;
});"""


@pytest.fixture
def phone(browser):
    as_phone(browser)
    yield browser
    as_desktop(browser)


def swipe(browser, element, distance: int) -> None:
    """A finger dragged ``distance`` pixels sideways across the middle of ``element``."""
    left, top, width, height = browser.execute_script(
        "var r = arguments[0].getBoundingClientRect(); return [r.left, r.top, r.width, r.height];", element)
    x, y = left + width * 0.8, top + height / 2
    browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 11):
        browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchMove",
                                                             "touchPoints": [{"x": x + distance * step / 10, "y": y}]})
    browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def fits_the_screen(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0] + 1


def test_the_carousel_shows_a_card_and_a_half_and_swipes(phone, live_server, product, screenshots):
    item_id, _ = product
    phone.get(f"{live_server.url}/demo/store/product/{item_id}")
    assert settled(phone, "related") == {"related": "ready"}
    phone.execute_script("document.getElementById('related').scrollIntoView({block: 'center'})")
    shares = phone.execute_script(VISIBLE_SHARE, "related")
    assert sum(shares.values()) >= 1.5
    assert all(phone.execute_script(ARROWS_OUT_OF_THE_WAY, "related"))
    phone.save_screenshot(str(screenshots / "store-mobile.png"))
    track = phone.find_element(By.CSS_SELECTOR, "#related .vitrine-track")
    swipe(phone, track, -250)
    WebDriverWait(phone, 5).until(lambda d: d.execute_script("return arguments[0].scrollLeft", track) > 100)
    assert fits_the_screen(phone)
    # The header: the brand and the cart on one line, the shopper box under them.
    brand, cart = phone.find_element(By.CLASS_NAME, "brand").rect, phone.find_element(By.CLASS_NAME, "cart-link").rect
    assert abs(brand["y"] - cart["y"]) < 12 and phone.find_element(By.CSS_SELECTOR, "header.top").rect["height"] < 110


def test_the_console_fits_a_phone(phone, live_server, screenshots):
    open_console(phone, live_server.url, "/console/model")
    assert "best sellers" in phone.find_element(By.CSS_SELECTOR, "#verdict-new_items .headline").text
    assert fits_the_screen(phone)
    phone.save_screenshot(str(screenshots / "console-mobile.png"))
    open_console(phone, live_server.url, "/console/rules/new")
    phone.find_element(By.CSS_SELECTOR, "#clauses .clause select[name=field] option[value=category]").click()
    phone.find_element(By.CSS_SELECTOR, "#clauses .clause input[name=value]").send_keys("no such category")
    WebDriverWait(phone, 5).until(lambda d: "Matches no product" in d.find_element(By.ID, "matched").text)
    assert fits_the_screen(phone)
