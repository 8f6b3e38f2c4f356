"""Atomic publishing: CURRENT only ever names a complete version, whatever happens to the writer."""
import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bundle.publish import (
    ModelStoreError,
    fingerprint_files,
    list_versions,
    make_version,
    publish,
    read_current,
    staging_dir,
)

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 28, 15, 1, 2, tzinfo=timezone.utc)


def version_at(second: int, fingerprint: str = "3fa9c1d2") -> str:
    return make_version(fingerprint, START + timedelta(seconds=second))


def write_artifacts(folder: Path, version: str) -> None:
    (folder / "factors.npy").write_bytes(bytes(64))
    (folder / "manifest.json").write_text(json.dumps({"version": version}))


def publish_new(models: Path, version: str, keep: int = 5) -> Path:
    with staging_dir(models, version) as staged:
        write_artifacts(staged, version)
        return publish(models, staged, version, keep=keep)


def run_python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, text=True, **kwargs)


def temp_entries(models: Path) -> list[str]:
    return sorted(p.name for p in models.glob(".tmp-*"))


def test_publish_sets_current(tmp_path):
    models = tmp_path / "models"
    assert read_current(models) is None
    published = publish_new(models, version_at(0))
    assert published == models / "20261128T150102Z-3fa9c1d2"
    assert read_current(models) == published
    assert (models / "CURRENT").read_text() == "20261128T150102Z-3fa9c1d2\n"
    assert json.loads((published / "manifest.json").read_text()) == {"version": published.name}
    assert temp_entries(models) == []


def test_second_publish_switches_current(tmp_path):
    models = tmp_path / "models"
    first, second = publish_new(models, version_at(0)), publish_new(models, version_at(1))
    assert read_current(models) == second
    assert list_versions(models) == [first.name, second.name]


def test_exception_while_staging_leaves_current_and_removes_the_folder(tmp_path):
    models = tmp_path / "models"
    first = publish_new(models, version_at(0))
    with pytest.raises(RuntimeError, match="boom"):
        with staging_dir(models, version_at(1)) as staged:
            write_artifacts(staged, version_at(1))
            raise RuntimeError("boom")
    assert not staged.exists()
    assert read_current(models) == first
    assert list_versions(models) == [first.name]


KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from bundle.publish import staging_dir
with staging_dir(Path(sys.argv[1]), sys.argv[2]) as staged:
    (staged / "manifest.json").write_text("{}")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_killed_run_leaves_current_and_its_leftovers_are_cleaned(tmp_path):
    models = tmp_path / "models"
    first = publish_new(models, version_at(0))
    killed = run_python(KILLED_RUN, str(models), version_at(1))
    assert killed.wait(timeout=30) == -signal.SIGKILL
    assert read_current(models) == first
    assert len(temp_entries(models)) == 1
    third = publish_new(models, version_at(2))
    assert temp_entries(models) == []
    assert read_current(models) == third
    assert list_versions(models) == [first.name, third.name]


def test_leftovers_of_an_interrupted_switch_or_prune_are_cleaned(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / ".tmp-CURRENT-99999").write_text("half")
    (models / f".tmp-old-{version_at(0)}-99999").mkdir()
    publish_new(models, version_at(1))
    assert temp_entries(models) == []


def test_a_live_staging_folder_is_not_cleaned(tmp_path):
    models = tmp_path / "models"
    with staging_dir(models, version_at(0)) as live:
        publish_new(models, version_at(1))
        assert live.is_dir()


def test_retention_keeps_the_newest_and_never_current(tmp_path):
    models = tmp_path / "models"
    versions = [version_at(second) for second in range(10, 16)]
    for version in versions:
        publish_new(models, version, keep=3)
    assert list_versions(models) == versions[-3:]
    older = publish_new(models, version_at(0), keep=3)  # e.g. a rebuild from an older snapshot
    assert read_current(models) == older
    assert list_versions(models) == [older.name, *versions[-3:]]
    assert temp_entries(models) == []


READER = """
import json, sys
from pathlib import Path
from bundle.publish import read_current

models = Path(sys.argv[1])
stop = models.parent / "stop"
seen = []

def look():
    current = read_current(models)
    if current is None or not (current / "manifest.json").is_file():
        raise SystemExit(f"CURRENT is incomplete: {current}")
    if not seen or seen[-1] != current.name:
        seen.append(current.name)

look()
print("ready", flush=True)
while not stop.exists():
    look()
look()
print(json.dumps(seen))
"""


def test_current_is_always_old_or_new_for_a_concurrent_reader(tmp_path):
    models = tmp_path / "models"
    versions = [version_at(second) for second in range(51)]
    publish_new(models, versions[0])
    reader = run_python(READER, str(models), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert reader.stdout.readline() == "ready\n"
        for version in versions[1:]:
            publish_new(models, version, keep=100)
    finally:
        (tmp_path / "stop").touch()
        out, err = reader.communicate(timeout=30)
    assert reader.returncode == 0, err
    seen = json.loads(out)
    assert set(seen) <= set(versions)
    assert seen == sorted(seen)  # never went back to an older value
    assert len(seen) > 1 and seen[-1] == versions[-1]


PUBLISHER = """
import json, sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from bundle.publish import make_version, publish, staging_dir

models, tag = Path(sys.argv[1]), sys.argv[2]
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
for second in range(15):
    version = make_version(tag * 8, start + timedelta(seconds=second))
    with staging_dir(models, version) as staged:
        (staged / "data.bin").write_bytes(bytes(1000))
        (staged / "manifest.json").write_text(json.dumps({"version": version}))
        publish(models, staged, version, keep=3)
"""


def test_concurrent_publishers_leave_a_consistent_folder(tmp_path):
    models = tmp_path / "models"
    publishers = [run_python(PUBLISHER, str(models), tag, stderr=subprocess.PIPE) for tag in "abc"]
    errors = [p.communicate(timeout=60)[1] for p in publishers]
    assert [p.returncode for p in publishers] == [0, 0, 0], errors
    assert temp_entries(models) == []
    assert read_current(models).name in list_versions(models)
    assert 3 <= len(list_versions(models)) <= 4
    for name in list_versions(models):
        assert json.loads((models / name / "manifest.json").read_text()) == {"version": name}
        assert (models / name / "data.bin").stat().st_size == 1000


def test_missing_manifest_is_refused(tmp_path):
    models = tmp_path / "models"
    with staging_dir(models, version_at(0)) as staged:
        (staged / "factors.npy").write_bytes(bytes(8))
        with pytest.raises(ModelStoreError, match="no manifest.json"):
            publish(models, staged, version_at(0))
    assert read_current(models) is None
    assert list_versions(models) == []
    assert temp_entries(models) == []


def test_truncated_manifest_is_refused(tmp_path):
    models = tmp_path / "models"
    with staging_dir(models, version_at(0)) as staged:
        (staged / "manifest.json").write_text('{"version": ')
        with pytest.raises(ModelStoreError, match="not valid JSON"):
            publish(models, staged, version_at(0))


def test_publishing_a_version_twice_is_refused(tmp_path):
    models = tmp_path / "models"
    publish_new(models, version_at(0))
    with pytest.raises(ModelStoreError, match="already published"):
        publish_new(models, version_at(0))


def test_staged_folder_must_live_in_models_dir(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write_artifacts(outside, version_at(0))
    with pytest.raises(ModelStoreError, match="directly inside"):
        publish(tmp_path / "models", outside, version_at(0))


def test_current_naming_a_missing_folder_is_a_clear_error(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "CURRENT").write_text(version_at(0) + "\n")
    with pytest.raises(ModelStoreError, match="does not exist"):
        read_current(models)
    (models / "CURRENT").write_text("../etc\n")
    with pytest.raises(ModelStoreError, match="does not hold a version name"):
        read_current(models)


def test_list_versions_ignores_other_entries(tmp_path):
    models = tmp_path / "models"
    publish_new(models, version_at(0))
    (models / "README.md").write_text("x")
    (models / "notes").mkdir()
    (models / f".tmp-{version_at(1)}-1").mkdir()
    assert list_versions(models) == [version_at(0)]
    assert list_versions(tmp_path / "missing") == []


def test_versions_sort_chronologically_as_strings():
    paris = timezone(timedelta(hours=1))
    moments = [
        datetime(2026, 11, 28, 15, 1, 2, tzinfo=timezone.utc),
        datetime(2026, 11, 28, 15, 1, 3, tzinfo=timezone.utc),
        datetime(2026, 11, 28, 16, 30, tzinfo=paris),  # 15:30 UTC
        datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc),
        datetime(2027, 1, 1, 0, 0, tzinfo=paris),  # still 2026 in UTC
        datetime(2027, 1, 1, 9, 0, tzinfo=timezone.utc),
    ]
    fingerprints = ["ffffffff", "00000000", "9a9a9a9a", "12345678", "abcdef01", "00000001"]
    versions = [make_version(fp, moment) for fp, moment in zip(fingerprints, moments)]
    assert sorted(versions) == versions
    assert versions[0] == "20261128T150102Z-ffffffff"
    assert versions[4] == "20261231T230000Z-abcdef01"


def test_make_version_validates_its_input():
    assert make_version("3fa9c1d2e4b5", START) == "20261128T150102Z-3fa9c1d2"
    assert make_version("3fa9c1d2").endswith("Z-3fa9c1d2")
    with pytest.raises(ValueError, match="timezone-aware"):
        make_version("3fa9c1d2", datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="hex"):
        make_version("3FA9", START)


def test_fingerprint_depends_on_contents_order_and_extra(tmp_path):
    big, small = tmp_path / "events.csv", tmp_path / "catalog.csv"
    big.write_bytes(os.urandom(3 << 20))  # several read chunks
    small.write_text("item_id,title\n1,mug\n")
    base = fingerprint_files([big, small], extra='{"factors": 64}')
    assert len(base) == 8 and int(base, 16) >= 0
    assert fingerprint_files([big, small], extra='{"factors": 64}') == base
    assert fingerprint_files([small, big], extra='{"factors": 64}') != base
    assert fingerprint_files([big, small], extra='{"factors": 32}') != base
    small.write_text("item_id,title\n1,cup\n")
    assert fingerprint_files([big, small], extra='{"factors": 64}') != base
