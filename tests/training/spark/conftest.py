"""One local Spark session for the Spark engine's tests (Java 17 is on the machine)."""
import pytest

pytest.importorskip("pyspark", reason="the spark extra is not installed")

# pyspark's own: it passes pandas a deprecated keyword, and leaves the socket it reads a
# collected result from to the garbage collector. Ignored for these tests only.
PYSPARK_WARNINGS = ("ignore:The copy keyword is deprecated:DeprecationWarning",
                    "ignore:unclosed <socket.socket:ResourceWarning",
                    "ignore::pytest.PytestUnraisableExceptionWarning")


def pytest_collection_modifyitems(items):
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.fspath).startswith(here):
            for rule in PYSPARK_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(rule))


@pytest.fixture(scope="session")
def spark():
    from training.spark import spark_session

    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "4", "spark.driver.memory": "1g"})
    yield session
    session.stop()


@pytest.fixture
def small_partitions(spark):
    """Files read in partitions of 20 kB, so that a small file spans several."""
    spark.conf.set("spark.sql.files.maxPartitionBytes", "20000")
    yield
    spark.conf.unset("spark.sql.files.maxPartitionBytes")
