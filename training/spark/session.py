"""A Spark session for a training run: the master given, the one ``spark-submit`` set, or local."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from typing import Mapping

try:
    from pyspark import SparkConf
    from pyspark.sql import SparkSession
except ImportError as error:  # the optional extra is not installed
    raise ImportError("the Spark engine needs pyspark: pip install -e '.[spark]'") from error

# Settings every run needs: times in UTC (the canonical table's zone), Arrow between the JVM and
# Python, and no web UI unless asked for (a training job on a shared host should not open ports).
DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "4g",
}
CHECKPOINT_DIR = "spark.checkpoint.dir"


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """``master`` (``local[*]`` when neither it nor ``spark-submit`` names one); ``conf`` overrides
    ``DEFAULTS``. Executors run this interpreter unless ``PYSPARK_PYTHON`` says otherwise."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    submitted = dict(SparkConf().getAll())  # what spark-submit or spark-defaults.conf set
    builder = SparkSession.builder.appName("vitrine-train")
    builder = builder.master(master or submitted.get("spark.master", "local[*]"))
    settings = {key: value for key, value in DEFAULTS.items() if key not in submitted} | dict(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    _checkpoints(session, settings.get(CHECKPOINT_DIR) or submitted.get(CHECKPOINT_DIR))
    return session


def _checkpoints(session: SparkSession, folder: str | None) -> None:
    """Give ALS somewhere to checkpoint (it does every 10 iterations when it can): without it each
    iteration lengthens the lineage, and a long fit overflows the JVM's stack while serializing a
    task. Local runs get a temporary folder, removed at exit; a cluster names shared storage in
    ``spark.checkpoint.dir``."""
    context = session.sparkContext
    if context.getCheckpointDir() is not None:
        return
    if folder is None and context.master.startswith("local"):
        folder = tempfile.mkdtemp(prefix="vitrine-spark-checkpoints-")
        atexit.register(shutil.rmtree, folder, True)
    if folder is not None:
        context.setCheckpointDir(folder)
