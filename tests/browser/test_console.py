"""The merchandiser console in a real browser: signing in, and catalog edits reaching the widget; the
helpers the other console tests share (signing in, loading a page, reading the demo store's widget)."""
from __future__ import annotations

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import ADMIN_TOKEN
from .test_widget import settled


def click_and_load(browser, element) -> None:
    """Click something that loads a new page, and wait until the new page replaced the old one and
    finished loading (reading a page still being parsed can hit nodes Chromium then replaces)."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 10).until(lambda _: _gone(page))
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _gone(element) -> bool:
    """Whether ``element``'s page was replaced: its node is stale, or Chromium already dropped the old
    page's context while being asked (an "unhandled inspector error", seen under load)."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException is one
        return True
    return False


def row_texts(browser, selector: str) -> list[str]:
    """The text of every element ``selector`` finds, read again if Chromium swaps the nodes while
    they are read (seen under load right after a form submission)."""
    return WebDriverWait(browser, 5, ignored_exceptions=(WebDriverException,)).until(
        lambda d: [row.text for row in d.find_elements(By.CSS_SELECTOR, selector)])


def sign_in(browser, url: str, token: str = ADMIN_TOKEN) -> None:
    browser.get(f"{url}/console/model")
    WebDriverWait(browser, 5).until(lambda d: "/console/login" in d.current_url)
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "name").send_keys("Browser Test")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "button.primary"))


def widget_categories(browser, url: str, item_id: str) -> list[str]:
    browser.get(f"{url}/demo/store/product/{item_id}")
    assert settled(browser, "related") == {"related": "ready"}
    return [card.get_attribute("data-category") for card in browser.find_elements(By.CSS_SELECTOR, "#related .vitrine-card")]


def rule_status(browser, name: str) -> str:
    row = browser.find_element(By.XPATH, f"//table[@id='rules-table']//tr[.//a[text()='{name}']]")
    return row.get_attribute("data-status")


def test_sign_in_refuses_a_wrong_token_and_forms_without_csrf(browser, live_server):
    browser.delete_all_cookies()
    sign_in(browser, live_server.url, token="not-the-token")
    assert "Wrong admin token" in browser.find_element(By.ID, "token-error").text
    cookie = browser.get_cookie("session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    sign_in(browser, live_server.url)
    WebDriverWait(browser, 5).until(lambda d: d.current_url.endswith("/console/model"))
    # A form whose CSRF token was removed is refused and changes nothing.
    browser.get(f"{live_server.url}/console/rules/new")
    browser.execute_script("document.querySelector('#rule-form input[name=csrf_token]').remove();")
    browser.find_element(By.ID, "name").send_keys("forged")
    click_and_load(browser, browser.find_element(By.ID, "save-rule"))
    assert "400" in browser.find_element(By.TAG_NAME, "h1").text
    browser.get(f"{live_server.url}/console/rules")
    assert "forged" not in browser.page_source


def test_catalog_edits_reach_the_widget(browser, live_server, product):
    item_id, _ = product
    url = live_server.url
    browser.get(f"{url}/demo/store/product/{item_id}")
    settled(browser, "related")
    target = browser.find_element(By.CSS_SELECTOR, "#related .vitrine-card").get_attribute("data-item-id")
    browser.get(f"{url}/console/catalog?q={target}")
    if "/console/login" in browser.current_url:
        sign_in(browser, url)
        browser.get(f"{url}/console/catalog?q={target}")
    row = browser.find_element(By.CSS_SELECTOR, f"#catalog-table tr[data-item-id='{target}']")
    price = row.find_element(By.CSS_SELECTOR, "input.price")
    price.clear()
    price.send_keys("1234.5")
    click_and_load(browser, row.find_element(By.TAG_NAME, "button"))
    WebDriverWait(browser, 5).until(lambda d: "price 1234.5" in d.find_element(By.CLASS_NAME, "flash").text)
    browser.get(f"{url}/demo/store/product/{item_id}")
    assert settled(browser, "related") == {"related": "ready"}
    card = browser.find_element(By.CSS_SELECTOR, f"#related .vitrine-card[data-item-id='{target}']")
    assert "1,234.50" in card.find_element(By.CLASS_NAME, "vitrine-price").text
    # Out of stock: the placement setting (on by default) keeps it out of the widget.
    browser.get(f"{url}/console/catalog?q={target}")
    row = browser.find_element(By.CSS_SELECTOR, f"#catalog-table tr[data-item-id='{target}']")
    row.find_element(By.NAME, "in_stock").click()
    click_and_load(browser, row.find_element(By.TAG_NAME, "button"))
    WebDriverWait(browser, 5).until(lambda d: "out of stock" in d.find_element(By.CLASS_NAME, "flash").text)
    browser.get(f"{url}/demo/store/product/{item_id}")
    settled(browser, "related")
    assert not browser.find_elements(By.CSS_SELECTOR, f"#related .vitrine-card[data-item-id='{target}']")
    # Back in stock, for the tests that follow.
    browser.get(f"{url}/console/catalog?q={target}")
    row = browser.find_element(By.CSS_SELECTOR, f"#catalog-table tr[data-item-id='{target}']")
    row.find_element(By.NAME, "in_stock").click()
    click_and_load(browser, row.find_element(By.TAG_NAME, "button"))
    assert "in stock" in browser.find_element(By.CLASS_NAME, "flash").text
