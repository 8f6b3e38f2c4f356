"""The merchandiser console in a real browser, and the issue's scenario end to end: sign in,
exclude a category, see the preview change, see the demo store's widget drop that category,
disable the rule and see the category come back."""
from __future__ import annotations

from collections import Counter

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

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


@pytest.fixture(scope="module")
def product(live_server) -> tuple[str, str]:
    """A product whose related-products widget shows several items of one category, and that category."""
    engine = live_server.app.extensions["vitrine"].store.served().engine
    labels = live_server.app.extensions["vitrine"].store.served().labels
    best = (0, "", "")
    for item_id in engine.model.item_ids.tolist()[:60]:
        picks = engine.related_items(item_id, 10, "product").picks
        counts = Counter(labels[p.item_id][1] for p in picks if labels[p.item_id][1] != labels[item_id][1])
        if counts:
            category, count = counts.most_common(1)[0]
            best = max(best, (count, item_id, category))
    if best[0] < 2:
        pytest.fail("no product with a repeated foreign category among its related products")
    return best[1], best[2]


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


def test_model_page_shows_evaluation_chart_and_pairs(browser, live_server):
    sign_in(browser, live_server.url) if "/console" not in browser.current_url else None
    browser.get(f"{live_server.url}/console/model")
    served = live_server.app.extensions["vitrine"].store.served()
    assert served.name in browser.find_element(By.TAG_NAME, "h1").text
    rows = [r.find_element(By.TAG_NAME, "td").text for r in
            browser.find_elements(By.CSS_SELECTOR, "#evaluation-new_items tr")[1:]]
    assert {"popularity", "item knn", "als", "blend"} <= set(rows)
    bars = browser.find_elements(By.CSS_SELECTOR, ".chart svg rect.bar-new")
    assert len(bars) >= len(rows)
    first_pair = browser.find_element(By.CSS_SELECTOR, "#pairs-table tr:nth-child(2) td .hint").text.split(" · ")[0]
    search = browser.find_element(By.NAME, "q")
    search.send_keys(first_pair)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='#pairs'] button"))
    pairs = row_texts(browser, "#pairs-table tr")[1:]
    assert pairs and all(first_pair in row for row in pairs)


def test_rule_excluding_a_category_changes_preview_and_store(browser, live_server, product, screenshots):
    item_id, category = product
    url = live_server.url
    before = widget_categories(browser, url, item_id)
    assert category in before
    browser.save_screenshot(str(screenshots / "store.png"))

    browser.get(f"{url}/console/rules")
    if "/console/login" in browser.current_url:
        sign_in(browser, url)
        browser.get(f"{url}/console/rules")
    click_and_load(browser, browser.find_element(By.ID, "new-rule"))
    name = f"No {category} on product pages"
    browser.find_element(By.ID, "name").send_keys(name)
    Select(browser.find_element(By.ID, "action")).select_by_value("exclude")
    clause = browser.find_element(By.CSS_SELECTOR, "#clauses .clause")
    Select(clause.find_element(By.NAME, "field")).select_by_value("category")
    Select(clause.find_element(By.NAME, "op")).select_by_value("eq")
    clause.find_element(By.NAME, "value").send_keys(category)
    browser.find_element(By.CSS_SELECTOR, "input[name=placements][value=product]").click()
    # A mistake first: a second condition comparing price with a word is refused next to the field.
    second = browser.find_elements(By.CSS_SELECTOR, "#clauses .clause")[1]
    Select(second.find_element(By.NAME, "field")).select_by_value("price")
    Select(second.find_element(By.NAME, "op")).select_by_value("lt")
    second.find_element(By.NAME, "value").send_keys("cheap")
    click_and_load(browser, browser.find_element(By.ID, "save-rule"))
    assert "number" in browser.find_element(By.ID, "error-value_1").text
    second = browser.find_elements(By.CSS_SELECTOR, "#clauses .clause")[1]
    Select(second.find_element(By.NAME, "field")).select_by_value("")
    second.find_element(By.NAME, "value").clear()
    click_and_load(browser, browser.find_element(By.ID, "save-rule"))
    WebDriverWait(browser, 5).until(lambda d: d.current_url.endswith("/console/rules"))
    assert rule_status(browser, name) == "active"

    # Preview: the model alone shows the category, the active rules remove it and say why.
    browser.get(f"{url}/console/preview?kind=related&placement=product&item_id={item_id}")
    raw = [r.get_attribute("data-category") for r in browser.find_elements(By.CSS_SELECTOR, "#before tr[data-item-id]")]
    ruled = [r.get_attribute("data-category") for r in browser.find_elements(By.CSS_SELECTOR, "#after tr[data-item-id]")]
    assert category in raw and category not in ruled and len(ruled) == len(raw)
    struck = browser.find_elements(By.CSS_SELECTOR, f"#before tr.gone[data-category='{category}']")
    assert struck and all(f"removed: rule “{name}”" in row.text for row in struck)
    browser.save_screenshot(str(screenshots / "console.png"))

    # The storefront widget stops showing the category...
    assert category not in widget_categories(browser, url, item_id)

    # ...until the rule is disabled.
    browser.get(f"{url}/console/rules")
    row = browser.find_element(By.XPATH, f"//table[@id='rules-table']//tr[.//a[text()='{name}']]")
    click_and_load(browser, row.find_element(By.CSS_SELECTOR, "button.toggle"))
    WebDriverWait(browser, 5).until(lambda d: rule_status(d, name) == "disabled")
    assert category in widget_categories(browser, url, item_id)

    # The preview can still try the disabled rule, and its history shows who did what.
    browser.get(f"{url}/console/rules")
    row = browser.find_element(By.XPATH, f"//table[@id='rules-table']//tr[.//a[text()='{name}']]")
    click_and_load(browser, row.find_element(By.LINK_TEXT, "Preview"))
    Select(browser.find_element(By.NAME, "kind")).select_by_value("related")
    item_box = browser.find_element(By.ID, "item_id")
    item_box.clear()
    item_box.send_keys(item_id)
    browser.find_element(By.NAME, "placement").send_keys("product")
    click_and_load(browser, browser.find_element(By.ID, "run-preview"))
    after = [r.get_attribute("data-category") for r in browser.find_elements(By.CSS_SELECTOR, "#after tr[data-item-id]")]
    assert after and category not in after
    browser.get(f"{url}/console/rules")
    click_and_load(browser, browser.find_element(By.XPATH, f"//tr[.//a[text()='{name}']]").find_element(By.LINK_TEXT, "History"))
    history = browser.find_element(By.ID, "history").text
    assert "console:Browser Test" in history and "create" in history and "enabled" in history

    # Delete, after a confirmation page.
    browser.get(f"{url}/console/rules")
    click_and_load(browser, browser.find_element(By.XPATH, f"//tr[.//a[text()='{name}']]").find_element(By.CSS_SELECTOR, "a.delete"))
    click_and_load(browser, browser.find_element(By.ID, "confirm-delete"))
    WebDriverWait(browser, 5).until(lambda d: d.current_url.endswith("/console/rules"))
    assert name not in browser.find_element(By.TAG_NAME, "main").text.split("deleted.")[-1]


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


def test_customers_page_embeds_the_report(browser, live_server):
    browser.get(f"{live_server.url}/console/customers")
    if "/console/login" in browser.current_url:
        sign_in(browser, live_server.url)
        browser.get(f"{live_server.url}/console/customers")
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.report")
    browser.switch_to.frame(frame)
    try:
        WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.TAG_NAME, "svg"))
    finally:
        browser.switch_to.default_content()
