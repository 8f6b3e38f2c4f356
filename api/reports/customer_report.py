"""The customer lifecycle report: one self-contained HTML page from a version's segment summary.

Served at ``GET /v1/report`` and written by ``vitrine report``. Charts are inline SVG drawn here
(revenue by stage and by community, repurchase intervals with the key moment, cohort retention,
stage sizes over time); the page has no script and loads nothing from elsewhere.
"""
from __future__ import annotations

import math

from jinja2 import Environment
from markupsafe import Markup

from recommender.lifecycle import STAGES
from bundle import ModelVersion

from api.reports.charts import bar_chart, histogram, line_chart

BIN_DAYS = 7
MAX_INTERVAL_DAYS = 365

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customers · {{ version }}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:1rem 2rem;color:#222}
h2{border-bottom:2px solid #ddd;padding-top:.8rem} table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #e3e3e3;padding:.2rem .5rem;text-align:right} th:first-child,td:first-child{text-align:left}
th{background:#fafafa} .figures td{text-align:left} .note{color:#666} svg text{font-size:11px;fill:#333}
.grid{stroke:#eee} .line{fill:none;stroke-width:2} .marker{stroke:#c0392b;stroke-width:2;stroke-dasharray:5 3}
.marker-label{fill:#c0392b;font-weight:bold}
.c0{fill:#2b7bb9;stroke:#2b7bb9} .c1{fill:#3a9a4a;stroke:#3a9a4a} .c2{fill:#e08e0b;stroke:#e08e0b}
.c3{fill:#8e44ad;stroke:#8e44ad} .c4{fill:#c0392b;stroke:#c0392b} .c5{fill:#7f8c8d;stroke:#7f8c8d}
.c6{fill:#16a085;stroke:#16a085} .c7{fill:#d35400;stroke:#d35400} polyline.line{fill:none}
</style></head><body>
<h1>Customers</h1>
<p class="note">Model version {{ version }}, as of {{ s.as_of }}. Stage rules: docs/segments.md.</p>
<table class="figures">
<tr><td>customers</td><td>{{ "{:,}".format(s.store.customers) }} ({{ "{:,}".format(s.store.buyers) }} buyers,
{{ "{:,}".format(s.store.repeat_customers) }} repeat)</td></tr>
<tr><td>revenue</td><td>{{ "{:,.2f}".format(s.store.revenue) }}; {{ pct(s.store.repeat_revenue_share) }} from repeat
customers</td></tr>
<tr><td>key moment</td><td>{{ days(s.key_moment.key_moment_days) }} after the first purchase (median interval
{{ days(s.key_moment.interval_quantiles_days.get("p50")) }}; {{ pct(s.key_moment.never_return_share) }} never
return)</td></tr>
<tr><td>stage limits</td><td>repurchase window {{ days(s.definitions.repurchase_window_days) }}, typical interval
{{ days(s.definitions.typical_interval_days) }}</td></tr>
</table>
<h2>Revenue by stage</h2>{{ charts.revenue }}
<table><tr><th>segment</th><th>customers</th><th>share</th><th>revenue share</th><th>avg order</th>
<th>value / customer</th><th>predicted 12 m</th><th>top products</th></tr>
{% for name, m in segments %}<tr><td>{{ name }}</td><td>{{ "{:,}".format(m.customers) }}</td>
<td>{{ pct(m.customer_share) }}</td><td>{{ pct(m.revenue_share) }}</td><td>{{ money(m.average_order_value) }}</td>
<td>{{ money(m.value_per_customer) }}</td><td>{{ money(m.predicted_value_12m) }}</td>
<td style="text-align:left">{{ titles(m.top_items) }}</td></tr>{% endfor %}</table>
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
<p>BG/NBD {{ params(s.predictions.bg_nbd) }}; Gamma-Gamma {{ params(s.predictions.gamma_gamma) }}.</p>
</body></html>"""

_ENV = Environment(autoescape=True)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}\u00a0%"


def _money(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


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


def render_report(version: ModelVersion) -> str:
    """The report page of a model version that has customer profiles."""
    summary = version.profiles.summary
    intervals, cut = _interval_chart(summary["key_moment"])
    revenue = [summary["stages"][name]["revenue"] for name in STAGES]
    charts = {"revenue": Markup(bar_chart(list(STAGES), revenue, "Revenue by stage", ",.0f")),
              "intervals": intervals, "cohorts": _cohort_chart(summary["cohorts"]),
              "history": _history_chart(summary["stage_history"])}
    segments = [(name, summary["stages"][name]) for name in STAGES]
    segments += list(summary["live_segments"].items())
    communities = version.profiles.communities
    if communities:
        charts["communities"] = Markup(bar_chart([c["name"] for c in communities], [c["revenue"] for c in communities],
                                                 "Revenue by community", ",.0f"))
    found = summary.get("communities", {})
    silhouettes = ", ".join(f"k={k}: {v:.2f}" for k, v in found.get("silhouette", {}).items())

    def titles(items: list[str]) -> str:
        return "; ".join(str(version.catalog.get(item, {}).get("title") or item) for item in items[:3])

    return _ENV.from_string(PAGE).render(
        s=summary, version=version.version, charts=charts, segments=segments, bin_days=BIN_DAYS, cut=cut,
        communities=communities, silhouettes=silhouettes,
        pct=_pct, money=_money, days=_days, params=_params, titles=titles)
