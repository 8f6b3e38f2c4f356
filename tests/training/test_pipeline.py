"""The training job end to end on the demo store: evaluate, publish, refuse bad input."""
import json

import numpy as np
import pytest

from bundle import load_artifacts
from cli import main
from training.config import TrainConfig, config_from_dict
from training.demo import write_demo_store
from training.pipeline import TrainInput, train
from bundle.publish import list_versions, read_current


@pytest.fixture(scope="module")
def demo_files(demo_store, tmp_path_factory):
    return write_demo_store(demo_store, tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def trained(demo_files, tmp_path_factory):
    models_dir = tmp_path_factory.mktemp("models")
    events, catalog = demo_files
    manifest = train(TrainInput(events, catalog), TrainConfig(), models_dir, progress=False)
    return models_dir, manifest


def test_publishes_a_loadable_version_and_switches_current(trained, demo_store):
    models_dir, manifest = trained
    assert read_current(models_dir) == models_dir / manifest["version"]
    on_disk = json.loads((models_dir / manifest["version"] / "manifest.json").read_text())
    assert on_disk["version"] == manifest["version"]
    assert set(on_disk["timings"]["seconds"]) >= {"load", "dataset", "evaluate", "fit"}
    assert on_disk["data"]["events"] == len(demo_store.events)
    assert on_disk["data"]["users"] == demo_store.events.user_id.nunique()
    version = load_artifacts(models_dir / manifest["version"])
    assert len(version.model.item_ids) == on_disk["data"]["items"]


def test_manifest_metrics_have_the_documented_names(trained):
    metrics = trained[1]["metrics"]
    for mode in ("new_items", "all_purchases"):
        assert set(metrics[mode]) >= {"popularity", "buy_again", "item_knn", "als", "blend"}
        assert set(metrics[mode]["als"]) >= {"precision@10", "recall@10", "ndcg@10", "map@10", "hit_rate@10", "coverage@10"}


def test_als_and_blend_beat_popularity_clearly(trained):
    metrics = trained[1]["metrics"]
    for mode in ("new_items", "all_purchases"):
        popularity = metrics[mode]["popularity"]["ndcg@10"]
        assert metrics[mode]["als"]["ndcg@10"] > 1.3 * popularity
        assert metrics[mode]["blend"]["ndcg@10"] > 1.3 * popularity


def test_annoy_indexes_are_faithful_to_exact_search(trained):
    annoy = trained[1]["annoy"]
    assert {name: info["recall@10"] >= 0.9 for name, info in annoy.items()} == dict.fromkeys(annoy, True)
    assert trained[1]["scoring"]["method"] in ("exact", "annoy")


def test_bad_input_fails_and_keeps_the_served_version(trained, tmp_path):
    models_dir, manifest = trained
    broken = tmp_path / "events.csv"
    broken.write_text("timestamp,user_id,item_id,event\nnot a time,u1,p1,view\n2024-01-01,u1,,view\n")
    code = main(["train", "--events", str(broken), "--models-dir", str(models_dir), "--quiet"])
    assert code == 2
    assert read_current(models_dir) == models_dir / manifest["version"]
    assert list_versions(models_dir) == [manifest["version"]]


def test_cli_error_is_one_line_naming_file_row_and_column(tmp_path, capsys):
    broken = tmp_path / "events.csv"
    broken.write_text("timestamp,user_id,item_id,event\nnot a time,u1,p1,view\n")
    assert main(["train", "--events", str(broken), "--models-dir", str(tmp_path / "m"), "--quiet"]) == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message
    assert "events.csv" in message and ":2" in message and "timestamp" in message


def test_cli_demo_data_and_train_publish(tmp_path, capsys):
    assert main(["demo-data", "--users", "300", "--items", "80", "--out", str(tmp_path / "demo")]) == 0
    code = main(["train", "--events", str(tmp_path / "demo" / "events.csv"), "--catalog", str(tmp_path / "demo" / "catalog.csv"),
                 "--models-dir", str(tmp_path / "models"), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "published" in out and "ndcg@10" in out
    assert read_current(tmp_path / "models") is not None


def test_user_candidates_are_stored_unless_turned_off(trained, demo_files, tmp_path):
    models_dir, manifest = trained
    model = load_artifacts(models_dir / manifest["version"]).model
    assert model.candidates is not None and model.candidates.k == TrainConfig().user_candidates
    assert model.candidates.items.shape[0] == len(model.user_ids)
    events, catalog = demo_files
    config = TrainConfig(user_candidates=0)
    off = train(TrainInput(events, catalog), config, tmp_path, run_evaluation=False, progress=False)
    folder = tmp_path / off["version"]
    assert not list(folder.glob("candidate_*.npy"))
    assert load_artifacts(folder).model.candidates is None


def test_candidates_of_another_shape_are_refused(trained, tmp_path):
    import shutil

    import numpy as np

    from bundle import ArtifactError

    models_dir, manifest = trained
    copy = tmp_path / "copy"
    shutil.copytree(models_dir / manifest["version"], copy)
    items = np.load(copy / "candidate_items.npy")
    np.save(copy / "candidate_items.npy", items[:-1])
    with pytest.raises(ArtifactError, match="candidate"):
        load_artifacts(copy)


@pytest.mark.parametrize("rows", [
    ["2024-03-01T10:00:00Z,u1,i1,purchase", "2024-03-02T10:00:00Z,u2,i1,view", "2024-03-05T10:00:00Z,u3,i1,purchase"],
    ["2024-03-01T10:00:00Z,u1,i1,purchase", "2024-03-02T10:00:00Z,u1,i2,view", "2024-03-05T10:00:00Z,u1,i3,purchase"],
], ids=["one item", "one user"])
def test_a_tiny_store_trains_and_publishes_a_servable_version(tmp_path, rows):
    from bundle.check import check_in_child

    events = tmp_path / "events.csv"
    events.write_text("timestamp,user_id,item_id,event\n" + "\n".join(rows) + "\n")
    assert main(["train", "--events", str(events), "--models-dir", str(tmp_path / "models"), "--quiet",
                 "--no-evaluate"]) == 0
    check_in_child(read_current(tmp_path / "models"))


def test_a_models_folder_that_is_a_file_fails_in_one_line_before_training(demo_files, tmp_path, capsys):
    events, catalog = demo_files
    target = tmp_path / "models"
    target.write_text("not a folder")
    assert main(["train", "--events", str(events), "--models-dir", str(target), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"vitrine: error: {target} is not a folder: name a folder for the model versions"


def test_a_full_disk_fails_in_one_line_and_leaves_no_staging_folder(demo_files, tmp_path, capsys, monkeypatch):
    import errno

    events, catalog = demo_files
    models = tmp_path / "models"

    def full(folder, **arrays):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "users.npy"))

    monkeypatch.setattr("training.artifacts.write_model", full)
    assert main(["train", "--events", str(events), "--models-dir", str(models), "--quiet", "--no-evaluate"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].endswith("users.npy: No space left on device")
    assert [path.name for path in models.iterdir()] == [".lock"] and read_current(models) is None


def test_manifest_records_the_selection_and_the_holdout_judges_what_was_chosen(trained):
    manifest = trained[1]
    selection = manifest["selection"]
    assert selection["enabled"] and selection["als_trials"][0]["settings"] == {}
    for mode in ("new_items", "all_purchases"):
        assert manifest["config"]["blend"][mode] == selection["blend"][mode]["weights"]
        assert ("ranker" in manifest["metrics"][mode]) == (selection["chosen"][mode] == "ranker")
    assert manifest["candidates"] == selection["chosen"]
    assert manifest["config"]["session_weight"] == selection["sessions"]["chosen_weight"]
    sessions = manifest["evaluation"]["sessions"]
    assert sessions["positions"] > 0 and {"session_knn", "als_fold_in", "copurchase"} <= set(sessions["metrics"])


def test_a_kept_ranker_orders_the_stored_candidates(demo_files, tmp_path):
    events, catalog = demo_files
    config = config_from_dict({"ranker": {"min_gain": -1.0}})  # keep the ranker whatever it scores
    manifest = train(TrainInput(events, catalog), config, tmp_path, run_evaluation=False, progress=False)
    assert manifest["candidates"] == {"new_items": "ranker", "all_purchases": "ranker"} == manifest["selection"]["chosen"]
    model = load_artifacts(tmp_path / manifest["version"]).model
    repeats = 0
    for user in range(0, len(model.user_ids), 37):
        bought = model.purchases[user].indices
        for lists, mode in ((model.candidates, "new_items"), (model.repeat_candidates, "all_purchases")):
            items, scores, sources = lists.row(user)
            assert len(items) and np.all(np.diff(scores) <= 0) and np.all((scores > 0) & (scores <= 1))
            assert set(sources) <= set(manifest["config"]["blend"][mode]) | {"popularity"}
            if mode == "new_items":
                assert not np.isin(items, bought).any()
            else:
                repeats += np.isin(items, bought).sum()
    assert repeats > 0  # the repeat lists keep past purchases


def test_an_index_that_misses_its_recall_target_within_a_linear_scan_is_served_exactly(trained):
    models_dir, manifest = trained
    n_items = manifest["data"]["items"]
    for name, report in manifest["annoy"].items():
        assert all(search_k <= report["n_items"] for search_k, _ in report["tried"]), name
    report = manifest["annoy"]["items_dot"]  # 150 items: 0.92 at search_k 150, below the 0.95 target
    assert report["search"] == "exact" and "linear scan" in report["reason"]
    assert report["tried"][-1][0] == n_items and report["annoy_recall@10"] < 0.95
    folder = models_dir / manifest["version"]
    assert not (folder / "items_dot.ann").exists() and (folder / "items.ann").exists()
    model = load_artifacts(folder).model
    assert type(model.indexes["items_dot"]).__name__ == "ExactIndex" and model.scoring == "exact"
    vector = model.als.item_factors_[3]
    ids, scores = model.indexes["items_dot"].query_vector(vector, 5)
    np.testing.assert_array_equal(ids, np.argsort(-(model.als.item_factors_ @ vector), kind="stable")[:5])


def test_erased_customers_rows_up_to_their_erasure_are_left_out():
    import pandas as pd

    from training.pipeline import without_erased

    at = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"], utc=True)
    events = pd.DataFrame({"timestamp": at, "user_id": ["gone", "gone", "kept"], "item_id": ["a", "b", "c"]})
    erased_at = pd.Timestamp("2026-01-01T12:00", tz="UTC").timestamp()
    kept, dropped = without_erased(events, {"gone": erased_at})
    assert dropped == 1 and kept["item_id"].tolist() == ["b", "c"]  # what came after the erasure stays
    assert without_erased(events, {})[1] == 0
