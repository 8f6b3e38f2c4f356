"""The per-worker holder of the model version being served, and its hot reload.

Each worker process loads the version ``models/CURRENT`` names once, read-only (Annoy indexes and
user factors are memory-mapped, so workers share those pages). A request calls :meth:`served`,
which at most once per ``check_interval`` seconds reads the one-line ``CURRENT`` file; when it names
another version (a watcher thread looks too, so an idle worker switches as soon as a busy one),
a background thread loads that version fully, warms it up with one query of each
kind, and only then swaps one reference. Requests keep answering from the old version meanwhile and
each request holds the version it started with, so a swap never fails or slows one.

A version that does not load (``ArtifactError``) or fails its warm-up is refused: the old one keeps
serving, the refusal is logged, counted and shown by ``/readyz`` and ``/v1/model``, and the same
version is not retried until ``POST /v1/admin/reload`` asks for it or ``CURRENT`` changes again.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from recommender.engine import RecommendationEngine, SessionEvent
from bundle import ArtifactError, ModelVersion, load_artifacts
from bundle.check import check_in_child
from bundle.publish import CURRENT, ModelStoreError, read_current

from api.serving.cards import Card, item_cards

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """One loaded version: its artifacts, an engine over them and the item labels answers show."""

    version: ModelVersion
    engine: RecommendationEngine
    labels: dict[str, tuple[str, str]]
    cards: dict[str, Card]
    folder: str
    loaded_at: str

    @property
    def name(self) -> str:
        return self.version.version

    def manifest_time(self, key: str) -> float:
        """A time the manifest names (``trained_at``, ``data_end``) as epoch seconds, UTC if it names
        no zone; 0 when the manifest has none."""
        moment = self.version.manifest.get(key)
        if not moment:
            return 0.0
        parsed = datetime.fromisoformat(moment)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


@dataclass(frozen=True)
class Refusal:
    """A version that was not put into service, and why."""

    folder: str
    error: str
    at: str

    def to_dict(self) -> dict:
        return {"version": self.folder, "error": self.error, "at": self.at}


class ReloadRefused(RuntimeError):
    """``CURRENT`` names a version that cannot be served; the previous one is still serving."""


def serve_version(version: ModelVersion) -> Served:
    """Wrap a loaded version for serving; one query of each kind checks it and warms it up."""
    model = version.model
    segments_of = version.profiles.segments_of if version.profiles is not None else None
    engine = RecommendationEngine(model, segments_of=segments_of)
    categories = model.category_names[model.item_category].tolist()
    labels = dict(zip(model.item_ids.tolist(), zip(model.titles.tolist(), categories)))
    if len(model.user_ids):
        engine.recommend_users([str(model.user_ids[0])], 1)
    if len(model.item_ids):
        engine.related_items(str(model.item_ids[0]), 1)
        engine.recommend_session([SessionEvent(str(model.item_ids[0]), "view")], n=1)
    engine.popular(1)
    return Served(version, engine, labels, item_cards(labels, version.catalog), version.path.name, _now())


class ModelStore:
    """Holds the served version of one worker; thread-safe, never blocks a request on a load."""

    def __init__(self, models_dir: Path, check_interval: float = 1.0,
                 on_reload: Callable[[str], None] | None = None) -> None:
        self.models_dir = Path(models_dir)
        self.check_interval = check_interval
        self.refused: Refusal | None = None
        self._on_reload = on_reload or (lambda outcome: None)
        self._served: Served | None = None
        self._seen: str | None = None
        self._next_check = 0.0
        self._loading = threading.Lock()

    @property
    def serving(self) -> str | None:
        """The name of the version served now, without looking at ``CURRENT``."""
        return self._served.name if self._served else None

    def watch(self) -> None:
        """Look at ``CURRENT`` every check interval from a daemon thread, so an idle worker switches
        as soon as a busy one does. The thread holds the store weakly and ends with it."""
        store, interval = weakref.ref(self), max(self.check_interval, 0.1)

        def look() -> None:
            while (alive := store()) is not None:
                alive.served()
                del alive
                time.sleep(interval)

        threading.Thread(target=look, name="vitrine-watch", daemon=True).start()

    def served(self) -> Served | None:
        """The version to answer with (``None`` before any loaded); starts a reload when due."""
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self.check_interval
            name = self._current_name()
            if name is not None and name != self._seen and not self._loading.locked():
                threading.Thread(target=self._reload_quietly, name="vitrine-reload", daemon=True).start()
        return self._served

    def reload(self) -> Served:
        """Load the version ``CURRENT`` names now (even one refused before) unless it is already
        served; raises ``ReloadRefused``."""
        with self._loading:
            return self._reload_locked()

    def _reload_locked(self) -> Served:
        try:
            folder = read_current(self.models_dir)
        except ModelStoreError as exc:
            raise self._refuse(self._current_name() or "", str(exc)) from exc
        if folder is None:
            raise ReloadRefused(f"nothing is published in {self.models_dir} yet (no {CURRENT} file)")
        if self._served is not None and self._served.folder == folder.name:
            self._seen, self.refused = folder.name, None
            return self._served
        return self._load(folder)

    def _load(self, folder: Path) -> Served:
        started = time.perf_counter()
        try:
            verified = check_in_child(folder)  # checksums, values and every kind of query, in a child
            served = serve_version(load_artifacts(folder, verify_files_first=not verified))
        except ArtifactError as exc:
            raise self._refuse(folder.name, str(exc)) from exc
        except Exception as exc:  # a version that loads but cannot answer must not replace a good one
            log.exception("model version %s failed its warm-up queries", folder.name)
            raise self._refuse(folder.name, f"{folder}: failed its warm-up queries: {exc!r}") from exc
        previous = self._served.name if self._served else None
        # The refusal is cleared before the swap: a reader that sees the new version never sees it refused.
        self.refused, self._seen, self._served = None, folder.name, served
        log.info("serving model version %s (was %s), loaded in %.2fs", served.name, previous,
                 time.perf_counter() - started)
        self._on_reload("loaded")
        return served

    def _refuse(self, folder: str, error: str) -> ReloadRefused:
        self.refused = Refusal(folder, error, _now())
        self._seen = folder
        serving = self._served.name if self._served else "nothing"
        log.error("refused model version %s, still serving %s: %s", folder, serving, error)
        self._on_reload("refused")
        return ReloadRefused(error)

    def _reload_quietly(self) -> None:
        """The background reload: skips a version already served or refused."""
        with self._loading:
            if self._current_name() == self._seen:
                return
            try:
                self._reload_locked()
            except ReloadRefused:
                pass  # logged, counted and kept in self.refused by _refuse

    def _current_name(self) -> str | None:
        try:
            return (self.models_dir / CURRENT).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("cannot read %s: %s", self.models_dir / CURRENT, exc)
            return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
