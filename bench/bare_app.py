"""The two reference endpoints of the API benchmark, served by gunicorn like the real API.

``GET /bare`` answers a small fixed JSON list: Flask's and gunicorn's own ceiling.
``GET /score?u=K`` scores 20,000 items × 32 factors exactly with numpy for one of 1,000 users and
answers the best 10 as JSON: the least a personalized answer costs without blending or rules.
``POST /bare-events`` parses a JSON body and answers 201: an events endpoint that stores nothing.
BLAS runs on one thread per worker (gunicorn imports this module in each worker): two workers each
spinning two BLAS threads on two cores cut /score's throughput about five-fold in a trial run.
"""
from __future__ import annotations

import numpy as np
from flask import Flask, jsonify, request
from threadpoolctl import threadpool_limits

ITEMS, FACTORS, USERS, TOP = 20_000, 32, 1_000, 10

threadpool_limits(1)
rng = np.random.default_rng(0)
item_factors = rng.standard_normal((ITEMS, FACTORS), dtype=np.float32)
user_factors = rng.standard_normal((USERS, FACTORS), dtype=np.float32)
app = Flask(__name__)


@app.get("/bare")
def bare():
    return jsonify([{"item_id": f"p{i:05d}", "score": 1.0} for i in range(TOP)])


@app.get("/score")
def score():
    scores = item_factors @ user_factors[request.args.get("u", 0, type=int) % USERS]
    top = np.argpartition(-scores, TOP)[:TOP]
    top = top[np.argsort(-scores[top])]
    return jsonify([{"item_id": f"p{i:05d}", "score": float(scores[i])} for i in top])


@app.post("/bare-events")
def bare_events():
    """Parse the JSON body and answer 201 without storing anything: the ceiling of an events endpoint."""
    events = request.get_json(force=True)
    return jsonify({"stored": len(events) if isinstance(events, list) else 1}), 201
