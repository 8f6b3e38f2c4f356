"""Concurrent writers through two worker processes lose nothing, never get a 500, and leave an
audit that chains: each entry's "before" is the previous entry's "after" — on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from .conftest import ADMIN_TOKEN
from .test_serve import running_server

WRITERS = 20


def call(base: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def in_parallel(calls) -> list[tuple[int, dict]]:
    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(lambda args: call(*args), calls))


def audit(base: str, entity: str) -> list[dict]:
    return list(reversed(call(base, "GET", f"/v1/rules/audit?entity={entity}&limit=500")[1]["entries"]))


def test_twenty_writers_on_one_item_placement_and_rule(models_dir, tmp_path, database_url):
    env = {"VITRINE_DATA_DIR": str(tmp_path / "data"), "VITRINE_ADMIN_TOKEN": ADMIN_TOKEN,
           "VITRINE_DATABASE_URL": database_url}
    with running_server(models_dir, tmp_path, workers=2, env=env) as base:
        item = in_parallel([(base, "PUT", "/v1/catalog/items/p00001", {f"column_{i}": i}) for i in range(WRITERS)])
        assert {status for status, _ in item} == {200}
        stored = call(base, "GET", "/v1/catalog/items/p00001")[1]["updates"]
        assert {f"column_{i}": i for i in range(WRITERS)}.items() <= stored.items()

        placement = in_parallel([(base, "PUT", "/v1/placements/brand-new", {"max_per_category": i + 1})
                                 for i in range(WRITERS)])
        assert {status for status, _ in placement} == {200}
        entries = audit(base, "placement")
        assert len(entries) == WRITERS and entries[0]["before"] is None
        assert all(a["after"] == b["before"] for a, b in zip(entries, entries[1:]))
        final = call(base, "GET", "/v1/placements/brand-new")[1]
        assert final["max_per_category"] == entries[-1]["after"]["max_per_category"]

        rule = call(base, "POST", "/v1/rules", {"name": "boost", "action": "boost", "factor": 1.5,
                                                "condition": {"field": "price", "op": "gt", "value": 0}})[1]
        patches = in_parallel([(base, "PATCH", f"/v1/rules/{rule['id']}", {"priority": i + 1})
                               for i in range(WRITERS)])
        assert {status for status, _ in patches} == {200}
        updates = [e for e in audit(base, "rule") if e["action"] == "update"]
        assert len(updates) == WRITERS
        assert all(a["after"]["priority"] == b["before"]["priority"] for a, b in zip(updates, updates[1:]))
        assert call(base, "GET", f"/v1/rules/{rule['id']}")[1]["priority"] == updates[-1]["after"]["priority"]

        deletes = in_parallel([(base, "DELETE", f"/v1/rules/{rule['id']}", None)] * 10)
        assert sorted(status for status, _ in deletes) == [200] + [404] * 9
        assert len([e for e in audit(base, "rule") if e["action"] == "delete"]) == 1
