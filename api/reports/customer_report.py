"""The customer lifecycle report: one self-contained HTML page from a version's segment summary.

Served at ``GET /v1/report`` and written by ``vitrine report``. Charts are inline SVG drawn here
(revenue by stage and by community, repurchase intervals with the key moment, cohort retention,
stage sizes over time); the page has no script and loads nothing from elsewhere.
"""
from __future__ import annotations

import math

import numpy as np
from jinja2 import Environment
from markupsafe import Markup

from recommender.lifecycle import STAGE_LABELS, STAGES
from bundle import ModelVersion

from api.reports.charts import bar_chart, histogram, line_chart

BIN_DAYS = 7
AGREE_AT_RISK = 0.3  # at or above this median chance to buy, the page explains why "at risk" customers still may
STAGE_NOTES = {
    "prospect": "browsed or added to the cart, never bought.",
    "first_time": "bought once, recently enough that a second order is still the likely next step.",
    "active": "bought more than once and are buying at their usual pace.",
    "hero": "the top spenders among repeat customers, buying at their usual pace.",
    "at_risk": "have not bought for longer than their usual gap between orders (or, after one order, past the "
               "store's key moment).",
    "lapsed": "have been away far longer than usual; most will not come back without a reason to.",
}
MAX_INTERVAL_DAYS = 365

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customers · {{ version }}</title>
</head><body><h1 style="font:600 1.6rem system-ui,sans-serif;max-width:1000px;margin:1rem auto 0;padding:0 2rem">Customers</h1>
{{ body }}</body></html>"""

BODY = """<style>
.customer-report{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:1rem 2rem;color:#222}
.customer-report h2{border-bottom:2px solid #ddd;padding-top:.8rem}
.customer-report table{border-collapse:collapse;margin:.5rem 0}
.customer-report td, .customer-report th{border:1px solid #e3e3e3;padding:.2rem .5rem;text-align:right}
.customer-report th:first-child, .customer-report td:first-child{text-align:left}
.customer-report th{background:#fafafa}
.customer-report .figures td{text-align:left}
.customer-report .note{color:#666}
.customer-report svg text{font-size:11px;fill:#333}
.customer-report .grid{stroke:#eee}
.customer-report .line{fill:none;stroke-width:2}
.customer-report .marker{stroke:#c0392b;stroke-width:2;stroke-dasharray:5 3}
.customer-report .marker-label{fill:#c0392b;font-weight:bold}
.customer-report .c0{fill:#2b7bb9;stroke:#2b7bb9}
.customer-report .c1{fill:#3a9a4a;stroke:#3a9a4a}
.customer-report .c2{fill:#e08e0b;stroke:#e08e0b}
.customer-report .c3{fill:#8e44ad;stroke:#8e44ad}
.customer-report .c4{fill:#c0392b;stroke:#c0392b}
.customer-report .c5{fill:#7f8c8d;stroke:#7f8c8d}
.customer-report .c6{fill:#16a085;stroke:#16a085}
.customer-report .c7{fill:#d35400;stroke:#d35400}
.customer-report polyline.line{fill:none}
</style>
<div class="customer-report">
<p class="note">Model version {{ version }}, as of {{ s.as_of }}. Stage rules: docs/segments.md.</p>
<table class="figures">
<tr><td>customers</td><td>{{ "{:,}".format(s.store.customers) }} ({{ "{:,}".format(s.store.buyers) }} buyers,
{{ "{:,}".format(s.store.repeat_customers) }} repeat)</td></tr>
<tr><td>revenue</td><td>{{ money(s.store.revenue) }}; {{ pct(s.store.repeat_revenue_share) }} from repeat
customers</td></tr>
<tr><td>key moment</td><td>{{ days(s.key_moment.key_moment_days) }} after the first purchase (median interval
{{ days(s.key_moment.interval_quantiles_days.get("p50")) }}; {{ pct(s.key_moment.never_return_share) }} never
return)</td></tr>
<tr><td>stage limits</td><td>repurchase window {{ days(s.definitions.repurchase_window_days) }}, typical interval
{{ days(s.definitions.typical_interval_days) }}</td></tr>
</table>
<h2>Revenue by stage</h2>{{ charts.revenue }}
<table class="stages"><tr><th>stage</th><th>customers</th><th>share</th><th>revenue share</th><th>avg order</th>
<th>value / customer</th><th>chance to buy in 90 days</th><th>predicted 12 months</th><th>top products</th></tr>
{% for key, name, m in segments %}<tr data-stage="{{ key }}"><td>{{ name }}</td><td>{{ "{:,}".format(m.customers) }}</td>
<td>{{ pct(m.customer_share) }}</td><td>{{ pct(m.revenue_share) }}</td><td>{{ money(m.average_order_value) }}</td>
<td>{{ money(m.value_per_customer) }}</td><td>{{ pct(chances.get(key)) }}</td><td>{{ money(m.predicted_value_12m) }}</td>
<td style="text-align:left">{{ titles(m.top_items) }}</td></tr>{% endfor %}</table>
<ul class="stage-notes">{% for key, name, note in notes %}<li data-stage="{{ key }}"><b>{{ name }}</b>: {{ note }}</li>{% endfor %}</ul>
{% if communities %}<h2>Communities</h2>{{ charts.communities }}
<p class="note">{{ communities|length }} communities of customers by behaviour (the number with the best
silhouette of those tried: {{ silhouettes }}), each named by the categories that set it apart. Target one in a
rule or export as its audience name.</p>
<table><tr><th>community</th><th>audience</th><th>customers</th><th>revenue share</th><th>avg order</th>
<th>top categories</th><th>top products</th></tr>
{% for c in communities %}<tr><td>{{ c.name }}</td><td>{{ c.audience }}</td><td>{{ "{:,}".format(c.customers) }}</td>
<td>{{ pct(c.revenue_share) }}</td><td>{{ money(c.average_order_value) }}</td>
<td style="text-align:left">{{ c.top_categories[:3]|join(", ") }}</td>
<td style="text-align:left">{{ titles(c.top_items) }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Days between first and second purchase</h2>{{ charts.intervals }}
<p class="note">{{ "{:,}".format(s.key_moment.repeat_customers) }} customers with a second purchase, in
{{ bin_days }}-day bins{% if cut %}; intervals over {{ cut }} days not shown{% endif %}. The dashed line is the key
moment: a first-time buyer who has not come back by then is more likely never to return than to buy again.</p>
{% if s.key_moment.by_category %}<table><tr><th>first purchase in</th><th>customers</th><th>repeat</th>
<th>key moment</th><th>median interval</th></tr>{% for name, k in s.key_moment.by_category.items() %}
<tr><td>{{ name }}</td><td>{{ "{:,}".format(k.customers) }}</td><td>{{ "{:,}".format(k.repeat_customers) }}</td>
<td>{{ days(k.key_moment_days) }}</td><td>{{ days(k.interval_quantiles_days.get("p50")) }}</td></tr>
{% endfor %}</table>{% endif %}
<h2>Cohort retention</h2>{{ charts.cohorts }}
<p class="note">Share of each monthly cohort (customers by month of first purchase) buying again in each later
month; only complete calendar months are shown.</p>
<h2>Stage sizes over time</h2>{{ charts.history }}
<p class="note">Customers per stage at each month end, by today's rules and limits.</p>
<h2>Predictions</h2>
<p>{{ predictions }}</p>
<details><summary>Model parameters</summary><p class="note">BG/NBD {{ params(s.predictions.bg_nbd) }};
Gamma-Gamma {{ params(s.predictions.gamma_gamma) }}.</p></details>
</div>"""

_ENV = Environment(autoescape=True)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}\u00a0%"


SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "JPY": "¥", "INR": "₹"}


def money_format(currency: str):
    """A formatter of amounts in ``currency``: ``€1,234.50`` (the code after the number when it
    has no common symbol: ``1,234.50 CHF``)."""
    symbol = SYMBOLS.get(currency)

    def money(value: float | None) -> str:
        if value is None:
            return "–"
        return f"{symbol}{value:,.2f}" if symbol else f"{value:,.2f}\u00a0{currency}"
    return money


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:g}\u00a0days"


def _params(params: dict | None) -> str:
    if not params:
        return "not fitted (too little repeat buying)"
    return ", ".join(f"{k} = {v:,.4g}" for k, v in params.items())


def _interval_chart(moment: dict) -> tuple[Markup, int | None]:
    counts = moment["interval_histogram"]
    p90 = moment["interval_quantiles_days"].get("p90", 0.0)
    shown = min(MAX_INTERVAL_DAYS, max(int(1.5 * p90), (moment["key_moment_days"] or 0) + 4 * BIN_DAYS, BIN_DAYS))
    shown = BIN_DAYS * math.ceil(shown / BIN_DAYS)
    bins = [sum(counts[i:i + BIN_DAYS]) for i in range(0, min(len(counts), shown), BIN_DAYS)]
    day = moment["key_moment_days"]
    chart = histogram(bins, BIN_DAYS, "Days between first and second purchase", day,
                      f"key moment: day {day}" if day is not None else "")
    return Markup(chart), (shown if len(counts) > shown else None)


def _cohort_chart(cohorts: dict) -> Markup:
    months = max((len(row) for row in cohorts["retention"]), default=1)
    series = {label: [100 * v for v in row[1:]] for label, row in zip(cohorts["cohorts"], cohorts["retention"])}
    labels = [f"+{m}" for m in range(1, max(months, 2))]
    return Markup(line_chart(labels, series, "Cohort retention, % buying in month +n", ",.0f"))


def _history_chart(history: dict) -> Markup:
    return Markup(line_chart([d[:7] for d in history["dates"]], history["sizes"], "Customers per stage", ",.0f"))


def _chances(profiles) -> dict[str, float]:
    """Each stage's median predicted chance to buy in the next 90 days."""
    stage, chance = np.asarray(profiles.arrays["stage"]), np.asarray(profiles.arrays["p_buy_90d"], dtype=np.float64)
    found = {}
    for code, name in enumerate(STAGES):
        values = chance[(stage == code) & np.isfinite(chance)]
        if len(values):
            found[name] = float(np.median(values))
    return found


def _stage_notes(chances: dict[str, float], pct) -> list[tuple[str, str, str]]:
    """What each stage means, and where the purchase model disagrees with the stage, why."""
    notes = []
    for name in STAGES:
        note = STAGE_NOTES[name]
        chance = chances.get(name)
        if name == "at_risk" and chance is not None:
            note += (f" The purchase model still gives half of them at least {pct(chance)} chance to buy within 90 "
                     "days: in this store long gaps between orders are common, so these customers are overdue "
                     "rather than lost, and a reminder is worth sending." if chance >= AGREE_AT_RISK else
                     f" The purchase model agrees: their median chance to buy within 90 days is {pct(chance)}.")
        notes.append((name, STAGE_LABELS[name], note))
    return notes


def _predictions(summary: dict, chances: dict[str, float], profiles, pct, money) -> str:
    chance = np.asarray(profiles.arrays["p_buy_90d"], dtype=np.float64)
    buyers = chance[np.asarray(profiles.arrays["purchases"]) > 0]
    buyers = buyers[np.isfinite(buyers)]
    if not summary["predictions"].get("bg_nbd") or not len(buyers):
        return "Too few customers bought twice to predict who buys next."
    text = (f"Each customer's chance to buy again is predicted from how often and how recently they bought "
            f"(a BG/NBD model). For a typical buyer it is {pct(float(np.median(buyers)))} within 90 days; the most "
            f"loyal tenth are above {pct(float(np.quantile(buyers, 0.9)))}.")
    gamma = summary["predictions"].get("gamma_gamma") or {}
    if gamma.get("q", 0) > 1:
        text += (f" Repeat customers spend {money(gamma['p'] * gamma['gamma'] / (gamma['q'] - 1))} per order on "
                 "average (a Gamma-Gamma model), which gives each customer's predicted value over 12 months.")
    return text


def render_report_body(version: ModelVersion, currency: str = "EUR") -> Markup:
    """The report's content (its own scoped style included), to place inside another page."""
    summary = version.profiles.summary
    money = money_format(currency)
    intervals, cut = _interval_chart(summary["key_moment"])
    revenue = [summary["stages"][name]["revenue"] for name in STAGES]
    labels = [STAGE_LABELS[name] for name in STAGES]
    charts = {"revenue": Markup(bar_chart(labels, revenue, f"Revenue by stage ({currency})", ",.0f")),
              "intervals": intervals, "cohorts": _cohort_chart(summary["cohorts"]),
              "history": _history_chart({**summary["stage_history"], "sizes": {
                  STAGE_LABELS.get(k, k): v for k, v in summary["stage_history"]["sizes"].items()}})}
    segments = [(name, STAGE_LABELS[name], summary["stages"][name]) for name in STAGES]
    segments += [(name, name.replace("_", " ").capitalize(), m) for name, m in summary["live_segments"].items()]
    communities = version.profiles.communities
    if communities:
        charts["communities"] = Markup(bar_chart([c["name"] for c in communities], [c["revenue"] for c in communities],
                                                 f"Revenue by community ({currency})", ",.0f"))
    found = summary.get("communities", {})
    silhouettes = ", ".join(f"k={k}: {v:.2f}" for k, v in found.get("silhouette", {}).items())
    chances = _chances(version.profiles)

    def titles(items: list[str]) -> str:
        return "; ".join(str(version.catalog.get(item, {}).get("title") or item) for item in items[:3])

    return Markup(_ENV.from_string(BODY).render(
        s=summary, version=version.version, charts=charts, segments=segments, bin_days=BIN_DAYS, cut=cut,
        communities=communities, silhouettes=silhouettes, chances=chances, notes=_stage_notes(chances, _pct),
        predictions=_predictions(summary, chances, version.profiles, _pct, money),
        pct=_pct, money=money, days=_days, params=_params, titles=titles))


def render_report(version: ModelVersion, currency: str = "EUR") -> str:
    """The report as one page of its own (``GET /v1/report``, ``vitrine report``)."""
    return _ENV.from_string(PAGE).render(version=version.version, body=render_report_body(version, currency))
