"""What the console reports, in a real browser: the model's verdict before any table, the customer
report inline in plain words, and an e-mail export built with its progress, downloaded and checked
row by row against what the API answers for each customer."""
from __future__ import annotations

import csv
import io

import numpy as np
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from recommender.lifecycle import STAGE_CODE

from .test_console import click_and_load, row_texts
from .test_console_rules import open_console

FETCH_TEXT = """var done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"}).then(function (r) {
  return r.text().then(function (t) { done([r.status, r.headers.get("Content-Disposition"), t]); });
}).catch(function (e) { done([0, "", String(e)]); });"""


def test_model_page_says_what_the_picks_are_worth_first(browser, live_server, screen):
    open_console(browser, live_server.url, "/console/model")
    served = live_server.app.extensions["vitrine"].store.served()
    assert served.name in browser.find_element(By.TAG_NAME, "h1").text
    metrics = served.version.manifest["metrics"]["new_items"]
    picks = metrics[served.version.manifest["candidates"]["new_items"]]["recall@10"]
    ratio = picks / metrics["popularity"]["recall@10"]
    verdict = browser.find_element(By.CSS_SELECTOR, "#verdict-new_items .headline").text
    assert f"{ratio:.1f}×" in verdict and "best sellers" in verdict
    assert f"held {100 * picks:.0f}" in browser.find_element(By.ID, "verdict-new_items").text
    first_section = browser.find_element(By.CSS_SELECTOR, "main section")
    assert first_section.get_attribute("id") == "verdict-new_items"
    assert browser.find_elements(By.CSS_SELECTOR, ".chart svg rect.bar-new")
    screen.save(browser, "console-model.png")
    # The technical table is folded away, and opens.
    assert not browser.find_element(By.ID, "evaluation-new_items").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "#technical summary").click()
    rows = [r.find_element(By.TAG_NAME, "td").text for r in
            browser.find_elements(By.CSS_SELECTOR, "#evaluation-new_items tr")[1:]]
    assert {"popularity", "item knn", "als", "blend"} <= set(rows)
    first_pair = browser.find_element(By.CSS_SELECTOR, "#pairs-table tr:nth-child(2) td .hint").text.split(" · ")[0]
    browser.find_element(By.NAME, "q").send_keys(first_pair)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='#pairs'] button"))
    pairs = row_texts(browser, "#pairs-table tr")[1:]
    assert pairs and all(first_pair in row for row in pairs)


def test_customers_page_shows_the_report_inline_in_plain_words(browser, live_server, screenshots):
    open_console(browser, live_server.url, "/console/customers")
    assert not browser.find_elements(By.TAG_NAME, "iframe")
    report = browser.find_element(By.ID, "customer-report")
    assert report.find_elements(By.TAG_NAME, "svg")
    overflow = browser.execute_script("var s = getComputedStyle(arguments[0]); return [s.overflowY, s.maxHeight];",
                                      report)
    assert overflow == ["visible", "none"]
    stages = {row.get_attribute("data-stage"): row.find_element(By.TAG_NAME, "td").text
              for row in report.find_elements(By.CSS_SELECTOR, "table.stages tr[data-stage]")}
    assert stages["first_time"] == "First-time buyers" and "first_time" not in report.text
    assert "€" in report.find_element(By.CSS_SELECTOR, "table.figures").text
    profiles = live_server.app.extensions["vitrine"].store.served().version.profiles
    chance = profiles.arrays["p_buy_90d"][profiles.arrays["stage"] == STAGE_CODE["at_risk"]]
    note = report.find_element(By.CSS_SELECTOR, ".stage-notes li[data-stage=at_risk]").text
    assert ("overdue rather than lost" in note) == bool(float(np.median(chance)) >= 0.3)
    predictions = report.find_element(By.XPATH, ".//h2[text()='Predictions']/following-sibling::p").text
    assert "within 90 days" in predictions and "BG/NBD" in predictions
    browser.save_screenshot(str(screenshots / "console-customers.png"))


def test_an_export_is_built_downloaded_and_holds_each_customers_picks(browser, live_server, screen):
    url = live_server.url
    open_console(browser, url, "/console/export")
    Select(browser.find_element(By.ID, "segment")).select_by_value("first_time")
    placement = browser.find_element(By.ID, "placement")
    placement.clear()
    placement.send_keys("email")
    picks = browser.find_element(By.ID, "n")
    picks.clear()
    picks.send_keys("3")
    click_and_load(browser, browser.find_element(By.ID, "start-export"))
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "download-export").is_displayed())
    progress = browser.find_element(By.ID, "export-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max")
    screen.save(browser, "console-export.png")
    link = browser.find_element(By.ID, "download-export").get_attribute("href")
    status, disposition, text = browser.execute_async_script(FETCH_TEXT, link)
    assert status == 200 and "attachment" in disposition and ".csv" in disposition
    rows = list(csv.DictReader(io.StringIO(text)))
    total = int(browser.find_element(By.ID, "export-job").get_attribute("data-total"))
    assert len(rows) == total > 0 and len({row["user_id"] for row in rows}) == total
    assert "item1_score" not in rows[0] and "score" not in rows[0]
    api = live_server.app.test_client()
    for row in rows:
        assert row["stage"] == "first_time"
        answer = api.get(f"/v1/users/{row['user_id']}/recommendations?n=3&placement=email").get_json()["items"]
        for rank, item in enumerate(answer, 1):
            assert row[f"item{rank}_id"] == item["item_id"] and row[f"item{rank}_title"] == item["title"]
            assert float(row[f"item{rank}_price"]) == item["price"] and row[f"item{rank}_reason"] == item["reason"]
            assert row[f"item{rank}_url"] == item["url"] and row[f"item{rank}_image"] == item["image_url"]
            assert item["image_url"].endswith(f"/{item['item_id']}.svg")
