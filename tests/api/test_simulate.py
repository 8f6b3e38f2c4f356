"""``vitrine simulate`` against a live server: the experiment's results count exactly what the
synthetic visitors did, and the variant with a true uplift is the one that shows it."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from cli.main import main
from cli.simulate import Truth, parse_truth, simulate
from tests.api.conftest import AUTH
from tests.api.test_experiments import DESIGN


@pytest.fixture
def live(private_app):
    server = make_server("127.0.0.1", 0, private_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", private_app.test_client()
    server.shutdown()
    thread.join(10)


def test_results_match_what_the_simulated_visitors_did(live):
    url, admin = live
    experiment = admin.post("/v1/experiments", json=DESIGN, headers=AUTH).json
    admin.post(f"/v1/experiments/{experiment['id']}/start", headers=AUTH)
    done = simulate(url, 400, Truth(0.2, 0.5, {"B": 1.5}), threads=4, seed=3)
    assert done.failures == 0 and sum(done.visitors.values()) == 400 and set(done.visitors) == {"A", "B"}
    results = admin.get(f"/v1/experiments/{experiment['id']}/results", headers=AUTH).json["results"]
    for variant in results["variants"]:
        name, visitors = variant["name"], variant["visitors"]
        assert visitors == done.visitors[name]
        assert round(variant["metrics"]["click_rate"]["value"] * visitors) == done.clicks[name]
        assert round(variant["metrics"]["conversion_rate"]["value"] * visitors) == done.orders[name]
    b = next(v for v in results["variants"] if v["name"] == "B")["versus_control"]["click_rate"]
    assert b["low"] > 0  # a true +150 % is visible even in 400 visitors
    assert not results["sample_ratio_mismatch"]


def test_truth_and_arguments_are_checked(capsys):
    assert parse_truth(["B:+10%", "variant=C:-5.5%"]) == {"B": 0.10, "C": -0.055}
    with pytest.raises(ValueError, match="--truth"):
        parse_truth(["B+10"])
    assert main(["simulate", "--visitors", "0"]) == 2
    assert "--visitors" in capsys.readouterr().err
