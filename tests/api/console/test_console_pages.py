"""The console's pages through Flask's test client, on SQLite and PostgreSQL: rule drafts that
serve nothing until published, the live check of the form, revert and restore from the history,
placement settings with every mistake at once, the audit page, the e-mail export job, the
customer report in the store's currency and console 404 pages."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from pathlib import Path

import pytest

from tests.api.conftest import ADMIN_TOKEN, make_app

RELATED = "/v1/items/{item}/related?n=20&placement=product"


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def console(private_app):
    client = private_app.test_client()
    token = csrf(client.get("/console/login").text)
    assert client.post("/console/login", data={"token": ADMIN_TOKEN, "name": "Ann", "csrf_token": token}).status_code == 303
    client.csrf = csrf(client.get("/console/rules").text)
    return client


def categories_of(client, item: str) -> set[str]:
    return {i["category"] for i in client.get(RELATED.format(item=item)).json["items"]}


@pytest.fixture
def anchor(private_app) -> tuple[str, str]:
    """A product and a category among its related products."""
    served = private_app.extensions["vitrine"].store.served()
    client = private_app.test_client()
    for item in served.version.model.item_ids[:40].tolist():
        found = categories_of(client, item) - {served.labels[item][1]}
        if found:
            return item, sorted(found)[0]
    pytest.fail("no product with related products of another category")


def rule_form(console, category: str, **extra) -> dict:
    return {"csrf_token": console.csrf, "name": "Hide it", "action": "exclude", "match": "all", "priority": "0",
            "field": "category", "op": "eq", "value": category, "placements": "product", **extra}


def test_a_console_rule_serves_nothing_until_published_and_its_history_undoes(console, anchor):
    item, category = anchor
    assert console.post("/console/rules/new", data=rule_form(console, category, intent="draft")).status_code == 303
    [draft] = console.application.extensions["vitrine_rules"].store.rules_with_drafts()
    assert not draft["published"] and console.get("/v1/rules").json["rules"] == []
    assert category in categories_of(console, item)
    assert console.post(f"/console/rules/{draft['id']}/publish", data={"csrf_token": console.csrf}).status_code == 303
    assert category not in categories_of(console, item)
    # Pending changes leave the published version serving.
    other = rule_form(console, "no-such-category", intent="draft")
    console.post(f"/console/rules/{draft['id']}/edit", data=other)
    assert console.get("/v1/rules").json["rules"][0]["condition"]["all"][0]["value"] == category
    assert "unpublished changes" in console.get("/console/rules").text
    console.post(f"/console/rules/{draft['id']}/publish", data={"csrf_token": console.csrf})
    assert category in categories_of(console, item)
    history = console.get(f"/console/rules/{draft['id']}/history").text
    assert "from category is " + category + " to category is no-such-category" in history
    first_publish = re.findall(r'data-entry-id="(\d+)" data-action="publish"', history)[-1]
    console.post(f"/console/rules/{draft['id']}/revert/{first_publish}", data={"csrf_token": console.csrf})
    assert category not in categories_of(console, item)
    # Deleted, it comes back from its history under the same id.
    console.post(f"/console/rules/{draft['id']}/delete", data={"csrf_token": console.csrf})
    assert category in categories_of(console, item)
    history = console.get(f"/console/rules/{draft['id']}/history").text
    deleted = re.search(r'data-entry-id="(\d+)" data-action="delete"', history).group(1)
    assert "Bring back" in history
    console.post(f"/console/rules/{draft['id']}/revert/{deleted}", data={"csrf_token": console.csrf})
    assert console.get(f"/v1/rules/{draft['id']}").status_code == 200
    assert category not in categories_of(console, item)


def test_the_form_check_reports_every_mistake_and_counts_the_products(console, anchor):
    _, category = anchor
    served = console.application.extensions["vitrine"].store.served()
    count = sum(1 for _, c in served.labels.values() if c == category)
    bad = {**rule_form(console, category), "name": "", "field": ["category", "price"], "op": ["eq", "lt"],
           "value": [category, "cheap"], "action": "boost", "factor": "0.5"}
    answer = console.post("/console/rules/check", data=bad).json
    assert set(answer["errors"]) == {"name", "factor", "value_1"} and answer["preview"] is None
    answer = console.post("/console/rules/check", data=rule_form(console, category)).json
    assert answer["errors"] == {} and answer["matched"]["count"] == count
    assert "With this rule" in answer["preview"]
    assert console.post("/console/rules/check", data=rule_form(console, category.upper())).json["matched"]["count"] == 0
    assert console.application.extensions["vitrine_rules"].store.rules_with_drafts() == []  # nothing stored


def test_placement_settings_show_every_mistake_then_save(console):
    bad = {"csrf_token": console.csrf, "max_per_category": "0", "min_price": "50", "max_price": "10",
           "relevance_floor": "2", "objective": "relevance", "strategy": "blend", "intent": "save"}
    page = console.post("/console/placements/home", data=bad)
    assert page.status_code == 400
    assert set(re.findall(r'id="error-(\w+)"', page.text)) == {"max_per_category", "max_price", "relevance_floor"}
    good = {**bad, "max_per_category": "2", "relevance_floor": "0.5", "min_price": "", "max_price": "",
            "exclude_out_of_stock": "on", "exclude_purchased": "on", "repurchase_after_days": "30"}
    preview = console.post("/console/placements/home", data={**good, "intent": "preview"})
    assert "With these settings" in preview.text and console.get("/v1/placements/home").json["source"] != "own"
    assert console.post("/console/placements/home", data=good).status_code == 303
    stored = console.get("/v1/placements/home").json
    assert stored["max_per_category"] == 2 and stored["repurchase_after_days"] == 30 and stored["source"] == "own"
    audit = console.get("/console/audit?kind=placement").text
    assert "Set up placement “home”" in audit and "max per category from – to 2" in audit


def test_an_export_job_writes_one_row_per_customer_of_the_segment(console):
    answer = console.post("/console/export", data={"csrf_token": console.csrf, "segment": "active",
                                                   "placement": "email", "n": "2"})
    job = answer.headers["Location"].rsplit("/", 1)[-1]
    for _ in range(100):
        status = console.get(f"/console/export/{job}/status").json
        if status["state"] != "running":
            break
        time.sleep(0.1)
    assert status["state"] == "ready" and status["done"] == status["total"] > 0
    download = console.get(f"/console/export/{job}/download")
    rows = list(csv.DictReader(io.StringIO(download.data.decode())))
    download.close()
    assert "attachment" in download.headers["Content-Disposition"]
    assert len(rows) == status["total"] and {row["stage"] for row in rows} == {"active"}
    assert list(rows[0])[:5] == ["user_id", "recommendation_id", "stage", "item1_id", "item1_title"]
    for row in rows[:20]:
        picks = console.get(f"/v1/users/{row['user_id']}/recommendations?n=2&placement=email").json["items"]
        assert [row["item1_id"], row["item2_id"]] == [p["item_id"] for p in picks]
    bad = console.post("/console/export", data={"csrf_token": console.csrf, "segment": "nobody", "n": "99"})
    assert bad.status_code == 400 and 'id="error-segment"' in bad.text and 'id="error-n"' in bad.text
    assert console.get("/console/export/0123456789abcdef").status_code == 404
    # A job whose worker died (its status silent for minutes) says so instead of running forever.
    folder = Path(console.application.config["DATA_DIR"]) / "exports"
    (folder / "00000000000000aa.json").write_text(json.dumps({**status, "job": "00000000000000aa", "state": "running"}))
    os.utime(folder / "00000000000000aa.json", (time.time() - 600, time.time() - 600))
    stale = console.get("/console/export/00000000000000aa/status").json
    assert stale["state"] == "failed" and "start it again" in stale["error"]


def test_the_customer_report_is_inline_in_the_stores_currency(models_dir, tmp_path):
    app = make_app(models_dir, DATA_DIR=str(tmp_path), CURRENCY="GBP")
    client = app.test_client()
    token = csrf(client.get("/console/login").text)
    client.post("/console/login", data={"token": ADMIN_TOKEN, "csrf_token": token})
    page = client.get("/console/customers").text
    assert "<iframe" not in page and "First-time buyers" in page and "£" in page and "first_time<" not in page
    with pytest.raises(ValueError, match="3-letter ISO 4217"):
        make_app(models_dir, DATA_DIR=str(tmp_path), CURRENCY="pounds")


def test_an_unknown_console_address_is_a_console_page(console):
    page = console.get("/console/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html" and "There is no console page" in page.text


def test_the_catalog_page_shows_each_products_picture_and_page(console):
    page = console.get("/console/catalog").text
    assert re.search(r'<img src="/demo/store/images/p\d+\.svg"[^>]*loading="lazy"', page)
    assert re.search(r'<a href="/demo/store/product/p\d+" target="_blank" rel="noopener">page ↗</a>', page)


def publish_christmas_rule(console, category: str) -> None:
    """A rule hiding ``category`` on product pages from 24 to 27 December 2030 (UTC)."""
    rule = {"name": "Christmas", "action": "exclude", "placements": ["product"],
            "condition": {"field": "category", "op": "eq", "value": category},
            "starts_at": "2030-12-24T00:00:00+00:00", "ends_at": "2030-12-27T00:00:00+00:00"}
    assert console.post("/v1/rules", json=rule, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 201


def test_the_preview_page_answers_as_of_a_moment(console, anchor):
    item, category = anchor
    publish_christmas_rule(console, category)

    def after(**args) -> set[str]:
        page = console.get("/console/preview", query_string={"kind": "related", "placement": "product",
                                                             "item_id": item, "n": 20, **args}).text
        return set(re.findall(r'data-category="([^"]+)"', page.split('id="after"')[1]))

    assert category in after()  # scheduled: not live yet
    assert category not in after(as_of="2030-12-25T10:00")
    assert category in after(as_of="2031-01-05T10:00")
    assert "must be a date and time" in console.get("/console/preview?as_of=soon").text


def test_the_form_preview_answers_as_of_a_chosen_moment_or_the_rules_start(console, anchor):
    item, category = anchor
    publish_christmas_rule(console, category)
    form = rule_form(console, "no-such-category", preview_item_id=item)

    def preview(**extra) -> tuple[str, set[str]]:
        html = console.post("/console/rules/check", data={**form, **extra}).json["preview"]
        now = html.split('id="form-after"')[0]
        return re.search(r'id="preview-moment">([^<]+)<', html).group(1), set(re.findall(r'data-category="([^"]+)"', now))

    moment, now = preview()
    assert moment == "now" and category in now  # the stored rule is not live yet
    moment, now = preview(preview_as_of="2030-12-25T10:00")
    assert moment == "2030-12-25 10:00 UTC" and category not in now
    moment, now = preview(starts_at="2030-12-26T08:00", timezone="Europe/Paris")
    assert moment == "2030-12-26 08:00 (when it starts)" and category not in now
