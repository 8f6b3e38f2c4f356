"""Broken versions are refused, each with a reason naming the file, and never crash the process.

Every file of a real version is truncated, overwritten with random bytes or deleted; then the
checksums are rewritten to match damage (what a careless hand or a buggy tool would leave), so the
value checks and the child-process queries are what must refuse it.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bundle import ArtifactError, load_artifacts
from bundle.check import check_in_child
from bundle.integrity import file_digests

DAMAGES = ("truncate", "random_bytes", "delete")


@pytest.fixture(scope="module")
def version_files(demo_version) -> list[str]:
    return sorted(path.name for path in demo_version.path.iterdir() if path.name != "manifest.json")


def copy_version(source: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "version"
    shutil.copytree(source, folder)
    return folder


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "random_bytes":
        noise = np.random.default_rng(0).integers(0, 256, size=max(len(data) // 2, 1), dtype=np.uint8).tobytes()
        path.write_bytes(noise + data[len(noise):])
    else:
        path.unlink()


def rewrite_checksums(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "files": file_digests(folder)}))


def test_the_version_as_published_loads(demo_version, tmp_path):
    assert load_artifacts(copy_version(demo_version.path, tmp_path)).version == demo_version.version


@pytest.mark.parametrize("how", DAMAGES)
def test_every_damaged_file_is_refused_naming_it(demo_version, version_files, tmp_path, how):
    assert len(version_files) >= 20
    for name in version_files:
        folder = copy_version(demo_version.path, tmp_path / name)
        damage(folder / name, how)
        with pytest.raises(ArtifactError) as error:
            load_artifacts(folder)
        assert name in str(error.value), (name, how, str(error.value))


@pytest.mark.parametrize("name", ["items.ann", "users.ann", "items_dot.ann"])
def test_a_damaged_index_with_matching_checksums_is_refused_by_the_child(demo_version, tmp_path, name):
    folder = copy_version(demo_version.path, tmp_path)
    damage(folder / name, "random_bytes")
    rewrite_checksums(folder)
    with pytest.raises(ArtifactError):  # crashes or errors in the child, never here
        check_in_child(folder)


@pytest.mark.parametrize("name, change", [
    ("item_factors.npy", lambda a: np.where(np.arange(a.size).reshape(a.shape) == 7, np.nan, a)),
    ("user_factors.npy", lambda a: np.full_like(a, np.inf)),
    ("candidate_scores.npy", lambda a: np.full_like(a, np.nan)),
    ("neighbour_ids.npy", lambda a: a + 10**6),
    ("candidate_items.npy", lambda a: a - 10),
    ("item_category.npy", lambda a: a + 10**6),
])
def test_unservable_values_are_refused(demo_version, tmp_path, name, change):
    folder = copy_version(demo_version.path, tmp_path)
    np.save(folder / name, change(np.load(folder / name)))
    rewrite_checksums(folder)
    with pytest.raises(ArtifactError, match=name.split("_")[0]):
        load_artifacts(folder)


def test_values_are_checked_block_by_block_to_the_last_row(demo_version, tmp_path, monkeypatch):
    """Mapped files are read in small blocks: a bad value in the last row is still found, and
    a padded entry (id -1) is never judged by its score."""
    monkeypatch.setattr("bundle.integrity._BLOCK_VALUES", 64)
    folder = copy_version(demo_version.path, tmp_path)
    items, scores = np.load(folder / "candidate_items.npy"), np.load(folder / "candidate_scores.npy")
    items[0, -1], scores[0, -1] = -1, np.nan
    np.save(folder / "candidate_items.npy", items)
    np.save(folder / "candidate_scores.npy", scores)
    rewrite_checksums(folder)
    assert load_artifacts(folder).model.candidates.row(0)[0].size == items.shape[1] - 1
    factors = np.load(folder / "user_factors.npy")
    factors[-1, -1] = np.nan
    np.save(folder / "user_factors.npy", factors)
    rewrite_checksums(folder)
    with pytest.raises(ArtifactError, match="user_factors.npy holds NaN"):
        load_artifacts(folder)


@pytest.mark.parametrize("text", ["", "{", "[]", '{"format": 2}', '{"format": 1, "files": {}}'])
def test_a_bad_manifest_is_refused(demo_version, tmp_path, text):
    folder = copy_version(demo_version.path, tmp_path)
    (folder / "manifest.json").write_text(text)
    with pytest.raises(ArtifactError):
        load_artifacts(folder)


def test_a_manifest_naming_a_file_outside_the_folder_is_refused(demo_version, tmp_path):
    folder = copy_version(demo_version.path, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["../secret"] = {"bytes": 1, "sha256": "0" * 64}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="secret"):
        load_artifacts(folder)


def test_a_good_version_passes_the_child_check_once(demo_version, tmp_path, monkeypatch):
    folder = copy_version(demo_version.path, tmp_path)
    check_in_child(folder)
    monkeypatch.setattr("bundle.check.subprocess.run", lambda *a, **k: pytest.fail("checked twice"))
    check_in_child(folder)
