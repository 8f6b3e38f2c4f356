"""The Audit page: every change anyone made (rules, placement settings, catalog updates,
experiments, erasures), newest first, each as a sentence with who and when; filtered by kind and
paged back through the log."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import render_template, request

from recommender.rules import PlacementSettings

from api.rules.cache import rules_cache
from api.console import bp
from api.console.rule_words import FIELD_WORDS, describe_change, value_text

PAGE = 50
ENTITIES = {"rule": "Rules", "placement": "Placement settings", "catalog": "Catalog", "experiment": "Experiments",
            "user": "Erasures", "visitor": "Erasures"}
EXPERIMENT_WORDS = {"create": "created", "start": "started", "stop": "stopped"}


def _changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    before, after = before or {}, after or {}
    return [f"{FIELD_WORDS.get(name, name.replace('_', ' '))} from {value_text(before.get(name))} to "
            f"{value_text(after.get(name))}" for name in dict.fromkeys([*before, *after])
            if before.get(name) != after.get(name)]


def describe_entry(entry: Mapping[str, Any]) -> list[str]:
    """Any audit entry as sentences: what was done to what, then what changed."""
    entity, key = entry["entity"], entry.get("entity_id") or ""
    before, after = entry.get("before"), entry.get("after")
    if entity == "rule":
        name = (after or before or {}).get("name", f"#{key}")
        first, *rest = describe_change(entry, named=False)
        return [f"Rule “{name}”: {first}", *rest]
    if entity == "placement":
        if before is None:
            return [f"Set up placement “{key}”", *_changes(PlacementSettings().to_dict(), after)]
        return [f"Changed the settings of placement “{key}”", *_changes(before, after)]
    if entity == "catalog":
        items = sorted((after or {}).keys())
        head = f"Updated product {items[0]}" if len(items) == 1 else f"Updated {len(items)} products"
        lines = [f"{item}: {change}" for item in items[:5]
                 for change in _changes((before or {}).get(item), (after or {}).get(item))]
        return [head, *lines[:10]]
    if entity == "experiment":
        name = (after or before or {}).get("name", f"#{key}")
        line = f"{EXPERIMENT_WORDS.get(entry['action'], entry['action']).capitalize()} experiment “{name}”"
        if entry["action"] == "stop" and (after or {}).get("winner"):
            line += f" and made variant {after['winner']} the placement's settings"
        return [line]
    if entry["action"] == "erase":
        return [f"Erased the events of {entity} {key} ({value_text((before or {}).get('events'))} events)"]
    return [f"{entry['action']} {entity} {key}"]


@bp.get("/audit")
def audit() -> str:
    entity = request.args.get("kind") if request.args.get("kind") in ENTITIES else None
    before_id = int(request.args["before"]) if request.args.get("before", "").isdigit() else None
    entries = rules_cache().store.audit(limit=PAGE + 1, before_id=before_id, entity=entity)
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    return render_template("console/audit.html", entries=entries, describe=describe_entry, kinds=ENTITIES,
                           kind=entity, older=entries[-1]["id"] if more else None, page_title="Audit")
