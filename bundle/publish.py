"""Atomic, versioned publishing of model artifacts.

Layout of ``models_dir``::

    CURRENT                       one line: the folder name of the version the API serves
    .lock                         fcntl lock taken around every change of the layout
    20261128T150102Z-3fa9c1d2/    a published version (always holds manifest.json)
    .tmp-<version>-<pid>/         a version being written, or the leftover of a dead run

A version is built in a ``.tmp-`` folder, renamed to its final name, and only then named in
``CURRENT`` through an atomic ``os.replace``: a reader sees the old version or the new one, never
a half-written one, and a run that dies midway leaves ``CURRENT`` as it was.

Each staging folder is flock-ed by the process that writes it; the kernel drops that lock when
the process dies, however it dies, so the next publish can tell a dead run's leftovers from a
live run's work without trusting pids.

Usage::

    version = make_version(fingerprint_files([events, catalog], extra=config_json))
    with staging_dir(models_dir, version) as staged:
        ...  # write arrays and manifest.json into staged
        publish(models_dir, staged, version)
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .errors import ModelStoreError

CURRENT = "CURRENT"
LOCK = ".lock"
MANIFEST = "manifest.json"
TMP_PREFIX = ".tmp-"
HASH_LENGTH = 8
VERSION_RE = re.compile(rf"\d{{8}}T\d{{6}}Z-[0-9a-f]{{{HASH_LENGTH}}}")
_CHUNK = 1 << 20


def make_version(fingerprint: str, now: datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSSZ-<hash>``: UTC first so that versions sort chronologically as strings.

    ``fingerprint`` is a lowercase hex digest of at least 8 characters; its first 8 are kept.
    """
    if not re.fullmatch(rf"[0-9a-f]{{{HASH_LENGTH},}}", fingerprint):
        raise ValueError(f"fingerprint must be lowercase hex, at least {HASH_LENGTH} chars: {fingerprint!r}")
    now = datetime.now(timezone.utc) if now is None else now
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return f"{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{fingerprint[:HASH_LENGTH]}"


def fingerprint_files(paths: Iterable[Path], extra: str = "") -> str:
    """Short hash of the files' contents, in the given order, plus ``extra`` (e.g. the config JSON)."""
    outer = hashlib.sha256()
    for path in paths:
        inner = hashlib.sha256()
        with open(path, "rb") as file:
            while chunk := file.read(_CHUNK):
                inner.update(chunk)
        outer.update(inner.digest())
    outer.update(extra.encode("utf-8"))
    return outer.hexdigest()[:HASH_LENGTH]


def list_versions(models_dir: Path) -> list[str]:
    """Published version folder names, oldest first."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    return sorted(p.name for p in models_dir.iterdir() if p.is_dir() and VERSION_RE.fullmatch(p.name))


def read_current(models_dir: Path) -> Path | None:
    """The folder ``CURRENT`` names, or ``None`` when nothing was published yet."""
    models_dir = Path(models_dir)
    try:
        name = (models_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not VERSION_RE.fullmatch(name):
        raise ModelStoreError(f"{models_dir / CURRENT} does not hold a version name: {name!r}")
    folder = models_dir / name
    if not folder.is_dir():
        raise ModelStoreError(f"{models_dir / CURRENT} names {name}, but {folder} does not exist")
    return folder


@contextmanager
def staging_dir(models_dir: Path, version: str) -> Iterator[Path]:
    """A fresh folder inside ``models_dir`` to write ``version`` into.

    Call :func:`publish` inside the block: on leaving it, by exception or not, whatever was not
    published is removed.
    """
    models_dir = Path(models_dir)
    _check_version(version)
    if models_dir.exists() and not models_dir.is_dir():
        raise ModelStoreError(f"{models_dir} is not a folder: name a folder for the model versions")
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{TMP_PREFIX}{version}-{os.getpid()}"
    with _locked(models_dir):  # a cleaner holding the lock never sees it unlocked
        path.mkdir()
        fd = os.open(path, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def publish(models_dir: Path, staged: Path, version: str, keep: int = 5) -> Path:
    """Move ``staged`` to ``models_dir/version``, point ``CURRENT`` at it, prune old versions.

    Keeps the ``keep`` newest versions plus the one just published (which is then CURRENT), and
    removes leftovers of dead runs. Returns the published folder.
    """
    models_dir, staged = Path(models_dir), Path(staged)
    _check_version(version)
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    if staged.resolve().parent != models_dir.resolve():
        raise ModelStoreError(f"{staged} must be a folder directly inside {models_dir} (see staging_dir)")
    _check_manifest(staged)
    _fsync_tree(staged)
    target = models_dir / version
    with _locked(models_dir):
        _remove_stale_temps(models_dir, spare=staged)
        if target.exists():
            raise ModelStoreError(f"version {version} is already published")
        os.rename(staged, target)
        _fsync_dir(models_dir)
        _write_current(models_dir, version)
        _prune(models_dir, keep, protect=version)
    return target


def _check_version(version: str) -> None:
    if not VERSION_RE.fullmatch(version):
        raise ValueError(f"not a version name (see make_version): {version!r}")


def _check_manifest(staged: Path) -> None:
    try:
        manifest = json.loads((staged / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelStoreError(f"refusing to publish {staged}: it has no {MANIFEST}") from None
    except json.JSONDecodeError as exc:
        raise ModelStoreError(f"refusing to publish {staged}: {MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise ModelStoreError(f"refusing to publish {staged}: {MANIFEST} must hold a JSON object")


@contextmanager
def _locked(models_dir: Path) -> Iterator[None]:
    fd = os.open(models_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Flush every file first, so that after a crash CURRENT never names a folder of empty files."""
    for folder, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(folder))


def _write_current(models_dir: Path, version: str) -> None:
    tmp = models_dir / f"{TMP_PREFIX}{CURRENT}-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as file:
        file.write(version + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, models_dir / CURRENT)
    _fsync_dir(models_dir)


def _remove_stale_temps(models_dir: Path, spare: Path) -> None:
    """Remove ``.tmp-`` entries no live process holds. Call with the models lock held."""
    for path in models_dir.glob(f"{TMP_PREFIX}*"):
        if path.resolve() == spare.resolve():
            continue
        if not path.is_dir():
            path.unlink(missing_ok=True)  # a CURRENT temp file: only written under the lock
        elif _is_abandoned(path):
            shutil.rmtree(path, ignore_errors=True)


def _is_abandoned(folder: Path) -> bool:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _prune(models_dir: Path, keep: int, protect: str) -> None:
    """Remove versions beyond the ``keep`` newest, never ``protect``. Call with the models lock held.

    A doomed version is first renamed to a ``.tmp-`` name, so a crash midway through deleting it
    leaves a leftover the next run cleans, never a half-deleted folder that looks published.
    """
    versions = list_versions(models_dir)
    for name in versions[: max(len(versions) - keep, 0)]:
        if name == protect:
            continue
        doomed = models_dir / f"{TMP_PREFIX}old-{name}-{os.getpid()}"
        os.rename(models_dir / name, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
