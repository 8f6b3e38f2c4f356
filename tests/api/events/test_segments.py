"""A worker's live segments for rule audiences: reused for the interval, then refreshed in the
background while the previous answer keeps serving."""
from __future__ import annotations

import time

from ..conftest import make_app


def test_rule_audiences_refresh_in_the_background(models_dir, tmp_path):
    from api.events import KEY

    app = make_app(models_dir, DATA_DIR=str(tmp_path / "data"), LIVE_REFRESH_INTERVAL=0.2)
    segments, served = app.extensions[KEY].segments, app.extensions["vitrine"].store.served()
    first = segments.recent(served)
    assert segments.recent(served) is first  # within the interval: the same answer
    api = app.test_client()
    api.post("/v1/events", json={"type": "cart", "item_id": "p00005", "user_id": "late", "timestamp": time.time() - 3600})
    time.sleep(0.25)
    assert segments.recent(served) is first  # stale: still answering, a refresh has started
    deadline = time.monotonic() + 5
    while "cart_abandoner" not in segments.recent(served).segments_of("late"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
