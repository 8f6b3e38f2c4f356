"""The merchandiser's experiment in a real browser: start an experiment on the home placement in the
console, let simulated shoppers through, read both variants' results with their intervals, promote B
and see it become the placement's setting; and the Performance page over the same traffic."""
from __future__ import annotations

import json
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from cli.simulate import Truth, simulate

from .conftest import app_config, start_server
from .test_console import click_and_load, sign_in


@pytest.fixture(scope="module")
def own_server(browser_models, tmp_path_factory):
    """A server of its own: promoting B changes the home placement, which other tests must not see."""
    from api import create_app

    server = start_server(create_app(app_config(browser_models, tmp_path_factory.mktemp("experiment-data"))))
    yield server
    server.stop()


def test_start_an_experiment_read_its_results_and_promote_b(browser, own_server, screenshots):
    url = own_server.url
    sign_in(browser, url)
    browser.get(f"{url}/console/experiments/new")
    form = browser.find_element(By.ID, "experiment-form")
    for name, value in (("name", "Best sellers on home"), ("baseline_rate", "0.3"), ("minimum_effect", "1")):
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    Select(form.find_element(By.NAME, "variant1_strategy")).select_by_value("popular")
    click_and_load(browser, browser.find_element(By.ID, "calculate"))
    needed = int(browser.find_element(By.ID, "sample-size").text.replace(",", ""))
    assert 10 < needed < 100
    assert Select(browser.find_element(By.NAME, "variant1_strategy")).first_selected_option.get_attribute("value") == "popular"
    click_and_load(browser, browser.find_element(By.ID, "save-experiment"))
    assert browser.find_element(By.ID, "experiment-status").text == "draft"
    click_and_load(browser, browser.find_element(By.ID, "start-experiment"))
    assert browser.find_element(By.ID, "experiment-status").text == "running"

    done = simulate(url, 160, Truth(0.3, 0.5, {"B": 1.0}), placement="home", threads=4, seed=21)
    assert done.failures == 0 and set(done.visitors) == {"A", "B"}

    browser.refresh()
    rows = {row.get_attribute("data-variant"): row for row in
            browser.find_elements(By.CSS_SELECTOR, "#results-table tr[data-variant]")}
    assert set(rows) == {"A", "B"}
    for name, row in rows.items():
        cells = row.find_elements(By.CSS_SELECTOR, "td")
        assert cells[1].text.replace(",", "") == str(done.visitors[name])
        assert " – " in cells[2].text  # the click rate's interval
    assert browser.find_element(By.ID, "decision").get_attribute("data-decision") in ("significant", "not_significant")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#results svg.chart")) == 3
    browser.save_screenshot(str(screenshots / "console-experiment.png"))

    click_and_load(browser, browser.find_element(By.ID, "promote-B"))
    assert browser.find_element(By.ID, "experiment-status").text == "stopped"
    assert "B was promoted" in browser.find_element(By.ID, "stopped-note").text
    with urllib.request.urlopen(f"{url}/v1/placements/home") as answer:
        assert json.loads(answer.read())["strategy"] == "popular"
    with urllib.request.urlopen(f"{url}/v1/visitors/someone-new/recommendations?placement=home") as answer:
        body = json.loads(answer.read())
    assert body["strategy"] == "popular" and body["experiment_id"] is None

    browser.get(f"{url}/console/performance")
    home = browser.find_element(By.CSS_SELECTOR, "#performance-table tr[data-placement='home']")
    impressions = int(home.find_elements(By.CSS_SELECTOR, "td")[1].text.replace(",", ""))
    assert impressions == 4 * sum(done.visitors.values())
    assert browser.find_elements(By.CSS_SELECTOR, "[data-chart='home'] svg.chart")
    assert "performance.csv" in browser.find_element(By.ID, "performance-csv").get_attribute("href")
    browser.save_screenshot(str(screenshots / "console-performance.png"))
