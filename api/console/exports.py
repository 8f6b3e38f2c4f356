"""The Export page: an e-mail-ready CSV (``vitrine export --layout wide``: one row per customer with
their stage and each pick's id, title, price, url, image and reason) for a segment, placement and
number of picks, built in the background with its progress shown, then downloaded.

A job writes ``<DATA_DIR>/exports/<job>.csv`` beside a small status file, so the page and the
download work from any worker of the host. Picks are the placement's, under the stored rules and
with the catalog updates' prices, exactly as the CLI export writes them.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from dataclasses import replace
from pathlib import Path

from flask import abort, current_app, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from recommender.errors import FieldError
from recommender.rules import check_placement_name

from api.console import bp
from api.console.auth import data_folder
from api.console.rule_form import COMMON_PLACEMENTS
from api.events import events
from api.extension import served_model
from api.rules.cache import rules_cache
from api.serving.export import export_picks, known_user_ids, segment_user_ids, segments_now

EVERYONE = "everyone"
MAX_PICKS = 20
JOB = re.compile(r"^[0-9a-f]{16}$")
STALE_SECONDS = 120  # a running job writes its status at least every chunk; silent this long, it died


def _folder() -> Path:
    folder = data_folder(current_app.config) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_status(path: Path, status: dict) -> None:
    """Replace the status file whole (readers never see half of it)."""
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(status), encoding="utf-8")
    os.replace(partial, path)


def _status(job: str) -> dict:
    if not JOB.match(job):
        abort(404, f"no export {job[:40]!r}")
    path = _folder() / f"{job}.json"
    if not path.exists():
        abort(404, f"no export {job} (exports are kept until the data folder is cleaned)")
    status = json.loads(path.read_text(encoding="utf-8"))
    if status["state"] == "running" and time.time() - path.stat().st_mtime > STALE_SECONDS:
        status = {**status, "state": "failed", "error": "the export stopped (the worker building it was restarted); "
                                                        "start it again"}
    return status


@bp.get("/export")
def export_page() -> str:
    served = served_model()
    profiles = served.version.profiles
    segments = list(profiles.audiences()) if profiles is not None else []
    return render_template("console/export.html", segments=segments, placements=COMMON_PLACEMENTS, everyone=EVERYONE,
                           max_picks=MAX_PICKS, errors={}, form={"segment": EVERYONE, "placement": "email", "n": 6},
                           page_title="Export")


def _run(folder: Path, job: str, served, users: list[str], placement: str, n: int, now: dict) -> None:
    """The job, in its own thread: the file, then the status saying it is ready (or what failed)."""
    status_path, partial = folder / f"{job}.json", folder / f"{job}.partial.csv"
    status = json.loads(status_path.read_text(encoding="utf-8"))
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] >= 0.2 or done == total:
            last[0] = time.monotonic()
            _write_status(status_path, {**status, "done": done})

    try:
        report = export_picks(served, users, partial, n, placement, progress=False, now=now, columns=("stage",),
                              layout="wide", on_progress=progress)
        os.replace(partial, folder / f"{job}.csv")
        _write_status(status_path, {**status, "done": report.users, "state": "ready", "rows": report.rows,
                                    "seconds": round(report.seconds, 2)})
    except Exception as exc:  # the page must say the job failed, whatever the cause
        current = f"{type(exc).__name__}: {exc}"
        _write_status(status_path, {**status, "state": "failed", "error": current[:500]})
        partial.unlink(missing_ok=True)


def _form_errors(form, segments: list[str]) -> tuple[dict, dict[str, str]]:
    values = {"segment": form.get("segment", EVERYONE), "placement": form.get("placement", "").strip() or "email",
              "n": form.get("n", "6").strip()}
    errors = {}
    if values["segment"] != EVERYONE and values["segment"] not in segments:
        errors["segment"] = f"choose one of the segments listed (got {values['segment'][:40]!r})"
    try:
        check_placement_name(values["placement"])
    except FieldError as error:
        errors["placement"] = error.message
    if not values["n"].isdigit() or not 1 <= int(values["n"]) <= MAX_PICKS:
        errors["n"] = f"must be a whole number from 1 to {MAX_PICKS}"
    return values, errors


@bp.post("/export")
def start_export() -> Response | tuple:
    served = served_model()
    profiles = served.version.profiles
    segments = list(profiles.audiences()) if profiles is not None else []
    values, errors = _form_errors(request.form, segments)
    if errors:
        return render_template("console/export.html", segments=segments, placements=COMMON_PLACEMENTS,
                               everyone=EVERYONE, max_picks=MAX_PICKS, errors=errors, form=values,
                               page_title="Export"), 400
    membership = events().segments.now(served) if profiles is not None else None
    users = known_user_ids(served) if values["segment"] == EVERYONE else \
        segment_user_ids(served, values["segment"], membership)
    now = segments_now(users, membership) if membership is not None else {}
    cache = rules_cache()
    ruled = replace(served, engine=cache.engine(served), cards=cache.cards(served))
    job, folder = secrets.token_hex(8), _folder()
    _write_status(folder / f"{job}.json", {"job": job, "state": "running", "done": 0, "total": len(users),
                                           "segment": values["segment"], "placement": values["placement"],
                                           "n": int(values["n"]), "model_version": served.name,
                                           "started_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    threading.Thread(target=_run, args=(folder, job, ruled, users, values["placement"], int(values["n"]), now),
                     name=f"vitrine-export-{job}", daemon=True).start()
    return redirect(url_for("console.export_job", job=job), 303)


@bp.get("/export/<job>")
def export_job(job: str) -> str:
    return render_template("console/export_job.html", status=_status(job), page_title="Export")


@bp.get("/export/<job>/status")
def export_status(job: str) -> Response:
    return jsonify(_status(job))


@bp.get("/export/<job>/download")
def export_download(job: str) -> Response:
    status = _status(job)
    if status["state"] != "ready":
        abort(409, "the export is not ready yet")
    name = f"vitrine-{status['segment']}-{status['placement']}-{status['model_version'][:15]}.csv"
    return send_file(_folder() / f"{job}.csv", mimetype="text/csv", as_attachment=True, download_name=name)
