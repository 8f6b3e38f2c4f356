"""Group commit: the events of requests that arrive together are written in one transaction.

A request hands its rows to :meth:`GroupCommit.write` and waits. Whichever waiting thread holds the
write turn takes every batch queued so far and commits them together; the others find their batch
done when the turn reaches them. A request is answered only after the transaction holding its rows
has committed, so a worker killed at any moment loses no event it acknowledged: the ones it had not
committed were never acknowledged. No extra thread is needed, so nothing is left to stop at exit.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

R = TypeVar("R")


@dataclass
class _Pending(Generic[R]):
    rows: list[dict]
    done: bool = False
    result: R | None = None
    error: BaseException | None = None


class GroupCommit(Generic[R]):
    """Serializes one process's writes and coalesces the batches waiting for the write turn."""

    def __init__(self, commit: Callable[[Sequence[list[dict]]], list[R]], max_rows: int = 10_000) -> None:
        """``commit`` writes batches in one transaction and returns one result per batch."""
        self._commit = commit
        self._max_rows = max_rows
        self._queue: list[_Pending[R]] = []
        self._queue_lock = threading.Lock()
        self._turn = threading.Lock()

    def write(self, rows: list[dict]) -> R:
        """Commit ``rows`` (with whatever else is waiting); raises what the commit raised."""
        pending: _Pending[R] = _Pending(rows)
        with self._queue_lock:
            self._queue.append(pending)
        while not pending.done:
            with self._turn:
                if not pending.done:
                    self._commit_waiting()
        if pending.error is not None:
            raise pending.error
        return pending.result  # type: ignore[return-value]

    def _commit_waiting(self) -> None:
        with self._queue_lock:
            group, rows = [], 0
            while self._queue and (not group or rows + len(self._queue[0].rows) <= self._max_rows):
                group.append(self._queue.pop(0))
                rows += len(group[-1].rows)
        try:
            results = self._commit([pending.rows for pending in group])
        except Exception as error:
            if len(group) == 1:
                group[0].error, group[0].done = error, True
                return
            for pending in group:  # one request's failure must not fail the others: each alone
                self._commit_alone(pending)
            return
        for pending, result in zip(group, results):
            pending.result, pending.done = result, True

    def _commit_alone(self, pending: _Pending[R]) -> None:
        try:
            pending.result = self._commit([pending.rows])[0]
        except Exception as error:
            pending.error = error
        pending.done = True
