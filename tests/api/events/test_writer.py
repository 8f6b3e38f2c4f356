"""Group commit: concurrent requests share transactions, each gets its own result, and one
request's failure fails no other."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.events.writer import GroupCommit


def test_concurrent_writes_are_coalesced_and_each_answered():
    transactions: list[int] = []
    release = threading.Event()

    def commit(batches):
        release.wait(5)
        transactions.append(len(batches))
        return [sum(row["n"] for row in batch) for batch in batches]

    writer = GroupCommit(commit)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(writer.write, [{"n": i}, {"n": 1}]) for i in range(40)]
        release.set()
        results = [future.result(timeout=10) for future in futures]
    assert results == [i + 1 for i in range(40)]
    assert sum(transactions) == 40 and len(transactions) < 40  # some requests shared a transaction


def test_a_failing_batch_fails_only_its_own_request():
    gate = threading.Barrier(4)

    def commit(batches):
        if any(row.get("bad") for batch in batches for row in batch):
            raise ValueError("bad row")
        return ["ok"] * len(batches)

    writer = GroupCommit(commit)

    def write(bad):
        gate.wait(5)
        try:
            return writer.write([{"bad": bad}])
        except ValueError as error:
            return str(error)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(write, [False, True, False, False]))
    assert answers == ["ok", "bad row", "ok", "ok"]


def test_the_commit_error_reaches_the_caller():
    writer = GroupCommit(lambda batches: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        writer.write([{"n": 1}])
