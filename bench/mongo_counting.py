"""Run a module as `__main__` with every PyMongo command it sends counted (for
bench/cost_per_command.py; not part of the platform).

    python bench/mongo_counting.py COUNTS_FILE MODULE

The listener is registered before the module is imported, so every client it makes reports
to it. Asked (a file COUNTS_FILE.ask appears: `ask_counts`), a thread writes the counts (and
the store's time) per "command collection" to COUNTS_FILE as JSON and removes the question;
it only looks for one every 20 ms, so the counting costs the service next to nothing.
"""

from __future__ import annotations

import json
import runpy
import sys
import threading
import time
from pathlib import Path

from pymongo import monitoring


class CommandCounts(monitoring.CommandListener):
    """Commands sent and their server time in microseconds, per "command collection"."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[int, str] = {}  # request id -> its key, until it answers
        self.counts: dict[str, list[int]] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        key = f"{event.command_name} {target if isinstance(target, str) else ''}".strip()
        with self._lock:
            self._names[event.request_id] = key
            self.counts.setdefault(key, [0, 0])[0] += 1

    def _ended(self, request_id: int, micros: int) -> None:
        with self._lock:
            key = self._names.pop(request_id, None)
            if key is not None:
                self.counts[key][1] += micros

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._ended(event.request_id, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._ended(event.request_id, event.duration_micros)

    def snapshot(self) -> dict[str, list[int]]:
        with self._lock:
            return {key: list(value) for key, value in self.counts.items()}


def _question(path: Path) -> Path:
    return path.with_suffix(".ask")


def _answer(counts: CommandCounts, path: Path, interval_s: float = 0.02) -> None:
    question = _question(path)
    while True:
        if question.exists():
            path.write_text(json.dumps(counts.snapshot()))
            question.unlink()
        time.sleep(interval_s)


def ask_counts(paths: list[Path], timeout_s: float = 5.0) -> dict[Path, dict[str, list[int]]]:
    """The counts of the services writing to `paths`, as of now (blocking: a thread's job)."""
    for path in paths:
        _question(path).touch()
    deadline = time.monotonic() + timeout_s
    while any(_question(path).exists() for path in paths):
        if time.monotonic() > deadline:
            raise TimeoutError("a service did not write its store command counts")
        time.sleep(0.01)
    return {path: json.loads(path.read_text()) for path in paths}


if __name__ == "__main__":
    counts_file, module = Path(sys.argv[1]), sys.argv[2]
    listener = CommandCounts()
    monitoring.register(listener)
    threading.Thread(target=_answer, args=(listener, counts_file), daemon=True).start()
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
