"""The Spark training engine: ``vitrine train --engine spark``.

Spark reads and cleans the events file with the default engine's own rules
(``training.events.classify`` on every partition), and fits ALS (Spark ML, ``implicitPrefs``),
the co-purchase rules (Spark SQL) and popularity; the models it returns are the default engine's
classes, so the bundle and serving are the same. pyspark is an optional extra:
``pip install -e '.[spark]'``.
"""
from .engine import SparkEngine, spark_session

__all__ = ["SparkEngine", "spark_session"]
