"""A training run on Spark publishes a version that serving answers from, as good as the default's."""
import json
import subprocess
import sys

import pytest

from api import create_app
from bundle import load_artifacts
from bundle.publish import read_current
from training.config import config_from_dict
from training.demo import write_demo_store
from training.pipeline import TrainInput, train
from training.spark import SparkEngine

MODES = ("new_items", "all_purchases")
CONFIG = {"selection": {"als_trials": 4}}  # the same, shorter search on both engines


@pytest.fixture(scope="module")
def demo_files(demo_store, tmp_path_factory):
    return write_demo_store(demo_store, tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def both(spark, demo_files, tmp_path_factory):
    """The manifests of one run per engine on the demo store, and the Spark run's models folder."""
    source = TrainInput(*demo_files)
    local = train(source, config_from_dict(CONFIG), tmp_path_factory.mktemp("local"), progress=False)
    folder = tmp_path_factory.mktemp("spark")
    on_spark = train(source, config_from_dict(CONFIG), folder, progress=False, engine=SparkEngine(spark))
    return local, on_spark, folder


def test_both_engines_beat_popularity_and_agree_within_ten_percent(both):
    local, on_spark, _ = both
    assert (local["engine"], on_spark["engine"]) == ("local", "spark")
    for mode in MODES:
        for name in ("als", "blend"):
            ndcg = {run["engine"]: run["metrics"][mode][name]["ndcg@10"] for run in (local, on_spark)}
            popularity = on_spark["metrics"][mode]["popularity"]["ndcg@10"]
            assert ndcg["spark"] > 1.3 * popularity, (mode, name, ndcg, popularity)
            assert abs(ndcg["spark"] / ndcg["local"] - 1) <= 0.10, (mode, name, ndcg)
    assert on_spark["input"]["load"] == local["input"]["load"]
    assert on_spark["data"] == local["data"]


def test_serving_answers_from_the_spark_version(both, demo_store):
    _, on_spark, folder = both
    assert read_current(folder) == folder / on_spark["version"]
    assert load_artifacts(folder / on_spark["version"]).manifest["engine"] == "spark"
    client = create_app({"MODELS_DIR": str(folder), "TESTING": True}).test_client()
    user = demo_store.events["user_id"].iloc[0]
    answer = client.get(f"/v1/users/{user}/recommendations?n=5")
    assert answer.status_code == 200, answer.get_json()
    assert len(answer.get_json()["items"]) == 5
    item = demo_store.events["item_id"].iloc[0]
    related = client.get(f"/v1/items/{item}/related?n=3").get_json()
    assert len(related["items"]) == 3


def test_the_command_line_trains_on_spark(demo_files, tmp_path):
    events, catalog = demo_files
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"selection": {"enabled": False}}))
    done = subprocess.run(
        [sys.executable, "-m", "cli", "train", "--events", str(events), "--catalog", str(catalog), "--quiet",
         "--models-dir", str(tmp_path / "models"), "--config", str(settings), "--no-evaluate",
         "--engine", "spark", "--master", "local[1]", "--spark-conf", "spark.sql.shuffle.partitions=2"],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((read_current(tmp_path / "models") / "manifest.json").read_text())
    assert manifest["engine"] == "spark"


def test_a_bad_spark_setting_is_one_line(demo_files, tmp_path):
    events, _ = demo_files
    done = subprocess.run([sys.executable, "-m", "cli", "train", "--events", str(events), "--engine", "spark",
                           "--spark-conf", "novalue", "--models-dir", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == "vitrine: error: --spark-conf takes KEY=VALUE, got ['novalue']"
