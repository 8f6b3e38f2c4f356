"""Rules and placement settings in a real browser, as a merchandiser works: a draft rule written
with its mistakes shown at once, the products it matches counted and its effect previewed in the
form, then published, changed by mistake and reverted from its history; placement settings
previewed before they are saved; every change on the audit page."""
from __future__ import annotations

from collections import Counter

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from .test_console import click_and_load, rule_status, sign_in, widget_categories


def open_console(browser, url: str, path: str) -> None:
    browser.get(f"{url}{path}")
    if "/console/login" in browser.current_url:
        sign_in(browser, url)
        browser.get(f"{url}{path}")


def rule_row(browser, name: str):
    return browser.find_element(By.XPATH, f"//table[@id='rules-table']//tr[.//a[text()='{name}']]")


def matched_text(browser) -> str:
    return browser.find_element(By.ID, "matched").text


def write_draft(browser, name: str, category: str, item_id: str, products: dict) -> None:
    """The new-rule form filled in as a merchandiser would, checking what it says on the way."""
    browser.find_element(By.ID, "name").send_keys(name)
    Select(browser.find_element(By.ID, "action")).select_by_value("exclude")
    clause = browser.find_element(By.CSS_SELECTOR, "#clauses .clause")
    Select(clause.find_element(By.NAME, "field")).select_by_value("category")
    operators = [o.text for o in Select(clause.find_element(By.NAME, "op")).options]
    assert {"is", "is not", "is less than", "is one of"} <= set(operators) and "eq" not in operators
    Select(clause.find_element(By.NAME, "op")).select_by_value("eq")
    # The wrong case matches nothing, and the form says so as it is typed.
    clause.find_element(By.NAME, "value").send_keys(category.upper())
    WebDriverWait(browser, 5).until(lambda d: "Matches no product" in matched_text(d))
    clause.find_element(By.NAME, "value").clear()
    clause.find_element(By.NAME, "value").send_keys(category)
    count = sum(1 for _, c in products.values() if c == category)
    WebDriverWait(browser, 5).until(lambda d: f"Matches {count} of {len(products)} products" in matched_text(d))
    browser.find_element(By.CSS_SELECTOR, "input[name=placements][value=product]").click()
    # Two mistakes at once, each under its own control: an empty name and a price compared with a word.
    second = browser.find_elements(By.CSS_SELECTOR, "#clauses .clause")[1]
    Select(second.find_element(By.NAME, "field")).select_by_value("price")
    Select(second.find_element(By.NAME, "op")).select_by_value("lt")
    second.find_element(By.NAME, "value").send_keys("cheap")
    browser.find_element(By.ID, "name").clear()
    click_and_load(browser, browser.find_element(By.ID, "save-rule"))
    assert "number" in browser.find_element(By.ID, "error-value_1").text
    assert "1 to 200 characters" in browser.find_element(By.ID, "error-name").text
    assert "2 fields to fix" in browser.find_element(By.ID, "form-errors").text
    browser.find_element(By.ID, "name").send_keys(name)
    second = browser.find_elements(By.CSS_SELECTOR, "#clauses .clause")[1]
    Select(second.find_element(By.NAME, "field")).select_by_value("")
    second.find_element(By.NAME, "value").clear()
    # The preview in the form: this product's page, before and after the rule, the category struck through.
    browser.find_element(By.ID, "preview_item_id").send_keys(item_id)
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, f"#form-before tr.gone[data-category='{category}']"))
    after = [r.get_attribute("data-category") for r in browser.find_elements(By.CSS_SELECTOR, "#form-after tr[data-item-id]")]
    assert after and category not in after
    assert "on product" in browser.find_element(By.ID, "preview-what").text
    gone = len(browser.find_elements(By.CSS_SELECTOR, "#form-before tr.gone"))
    assert f"{gone} product" in browser.find_element(By.ID, "preview-summary").text
    WebDriverWait(browser, 5).until(lambda d: not d.find_element(By.ID, "form-errors").is_displayed())


def test_a_draft_rule_is_previewed_in_its_form_published_and_reverted_from_history(browser, live_server, product,
                                                                                   screen):
    item_id, category = product
    url = live_server.url
    assert category in widget_categories(browser, url, item_id)
    products = live_server.app.extensions["vitrine"].store.served().labels
    name = f"No {category} on product pages"
    open_console(browser, url, "/console/rules/new")
    write_draft(browser, name, category, item_id, products)
    browser.execute_script("window.scrollTo(0, 0)")
    screen.save(browser, "console-rule-form.png")
    click_and_load(browser, browser.find_element(By.ID, "save-rule"))
    assert "serves nothing until you publish" in browser.find_element(By.CLASS_NAME, "flash").text

    # A draft changes nothing in the store; published, it does.
    open_console(browser, url, "/console/rules")
    assert rule_status(browser, name) == "draft"
    assert category in widget_categories(browser, url, item_id)
    open_console(browser, url, "/console/rules")
    click_and_load(browser, rule_row(browser, name).find_element(By.CSS_SELECTOR, "button.publish"))
    WebDriverWait(browser, 5).until(lambda d: rule_status(d, name) == "active")
    screen.save(browser, "console.png")
    assert category not in widget_categories(browser, url, item_id)

    # The Preview page opens on the rule's own placement and says what removed each product.
    open_console(browser, url, "/console/rules")
    click_and_load(browser, rule_row(browser, name).find_element(By.LINK_TEXT, "Preview"))
    assert browser.find_element(By.NAME, "placement").get_attribute("value") == "product"
    item_box = browser.find_element(By.ID, "item_id")
    item_box.clear()
    item_box.send_keys(item_id)
    Select(browser.find_element(By.NAME, "rule")).select_by_value("")
    click_and_load(browser, browser.find_element(By.ID, "run-preview"))
    struck = browser.find_elements(By.CSS_SELECTOR, f"#before tr.gone[data-category='{category}']")
    assert struck and all(f"removed: rule “{name}”" in row.text for row in struck)

    # A change published by mistake (another category) brings the category back...
    other = next(c for c in sorted({c for _, c in products.values()}) if c != category)
    open_console(browser, url, "/console/rules")
    click_and_load(browser, rule_row(browser, name).find_element(By.TAG_NAME, "a"))
    value = browser.find_element(By.CSS_SELECTOR, "#clauses .clause input[name=value]")
    value.clear()
    value.send_keys(other)
    click_and_load(browser, browser.find_element(By.ID, "publish-rule"))
    assert "published" in browser.find_element(By.CLASS_NAME, "flash").text
    assert category in widget_categories(browser, url, item_id)
    # ...and the history, in sentences, takes it back.
    open_console(browser, url, "/console/rules")
    click_and_load(browser, rule_row(browser, name).find_element(By.LINK_TEXT, "History"))
    history = browser.find_element(By.ID, "history").text
    assert "Browser Test" in history and "Created the draft" in history
    assert f"Changed the products it applies to from category is {category} to category is {other}" in history
    first_publish = browser.find_elements(By.CSS_SELECTOR, "#history tr[data-action=publish]")[-1]
    click_and_load(browser, first_publish.find_element(By.CSS_SELECTOR, "button.revert"))
    assert "back to the version" in browser.find_element(By.CLASS_NAME, "flash").text
    assert "Reverted to an earlier version" in browser.find_element(By.ID, "history").text
    screen.save(browser, "console-history.png")
    assert category not in widget_categories(browser, url, item_id)

    # Switched off, the category comes back; deleted, the audit page still tells the story.
    open_console(browser, url, "/console/rules")
    click_and_load(browser, rule_row(browser, name).find_element(By.CSS_SELECTOR, "button.toggle"))
    WebDriverWait(browser, 5).until(lambda d: rule_status(d, name) == "disabled")
    assert category in widget_categories(browser, url, item_id)
    open_console(browser, url, "/console/rules")
    click_and_load(browser, rule_row(browser, name).find_element(By.CSS_SELECTOR, "a.delete"))
    click_and_load(browser, browser.find_element(By.ID, "confirm-delete"))
    WebDriverWait(browser, 5).until(lambda d: d.current_url.endswith("/console/rules"))
    assert not browser.find_elements(By.XPATH, f"//table[@id='rules-table']//a[text()='{name}']")
    open_console(browser, url, "/console/audit?kind=rule")
    audit = browser.find_element(By.ID, "audit-table").text
    assert f"Rule “{name}”: deleted" in audit and "switched it off" in audit and "reverted" in audit
    screen.save(browser, "console-audit.png")


def test_placement_settings_are_previewed_then_saved(browser, live_server, product, screen):
    item_id, _ = product
    url = live_server.url
    open_console(browser, url, "/console/placements")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#placements-table tr[data-placement=product] a"))
    # Mistakes, all at once.
    for field, value in (("max_per_category", "0"), ("min_price", "50"), ("max_price", "10")):
        browser.find_element(By.ID, field).send_keys(value)
    click_and_load(browser, browser.find_element(By.ID, "save-settings"))
    assert "from 1 to 100" in browser.find_element(By.ID, "error-max_per_category").text
    assert "at least min_price" in browser.find_element(By.ID, "error-max_price").text
    for field in ("min_price", "max_price", "max_per_category"):
        browser.find_element(By.ID, field).clear()
    browser.find_element(By.ID, "max_per_category").send_keys("1")
    browser.find_element(By.ID, "preview_item_id").send_keys(item_id)
    click_and_load(browser, browser.find_element(By.ID, "preview-settings"))
    before = [r.get_attribute("data-category") for r in browser.find_elements(By.CSS_SELECTOR, "#settings-before tr[data-item-id]")]
    after = [r.get_attribute("data-category") for r in browser.find_elements(By.CSS_SELECTOR, "#settings-after tr[data-item-id]")]
    assert len(set(before)) < len(before) and after and len(set(after)) == len(after)
    assert browser.find_elements(By.CSS_SELECTOR, "#settings-before tr.gone")
    screen.save(browser, "console-placement.png")
    assert Counter(widget_categories(browser, url, item_id)).most_common(1)[0][1] > 1  # previewed, not saved
    open_console(browser, url, "/console/placements/product")
    browser.find_element(By.ID, "max_per_category").send_keys("1")
    click_and_load(browser, browser.find_element(By.ID, "save-settings"))
    assert "saved" in browser.find_element(By.CLASS_NAME, "flash").text
    shown = widget_categories(browser, url, item_id)
    assert shown and len(set(shown)) == len(shown)
    open_console(browser, url, "/console/audit?kind=placement")
    assert "max per category from – to 1" in browser.find_element(By.ID, "audit-table").text
    # Back to no limit, for the tests that follow.
    open_console(browser, url, "/console/placements/product")
    browser.find_element(By.ID, "max_per_category").clear()
    click_and_load(browser, browser.find_element(By.ID, "save-settings"))
    assert Counter(widget_categories(browser, url, item_id)).most_common(1)[0][1] > 1


def test_an_unknown_console_address_is_a_console_page(browser, live_server):
    open_console(browser, live_server.url, "/console/no-such-page")
    assert "404" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.CSS_SELECTOR, "header.top nav").is_displayed()
