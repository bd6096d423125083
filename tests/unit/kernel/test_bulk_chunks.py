"""Bulk writes go out in bounded commands (a stock FerretDB 1.x freezes on an update command
of 100 statements), and write errors keep their index into the whole request list."""

from __future__ import annotations

from typing import Any

from crm_kernel.adapters.bulk import (
    INSERTS_PER_COMMAND,
    UPDATES_PER_COMMAND,
    bulk_write_in_chunks,
)
from pymongo import InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError


class Recorder:
    def __init__(self, duplicate: set[str]) -> None:
        self.commands: list[list[Any]] = []
        self._duplicate = duplicate

    async def bulk_write(self, requests: list[Any], ordered: bool) -> Any:
        assert ordered is False
        self.commands.append(requests)
        errors = [
            {"index": n, "code": 11000}
            for n, r in enumerate(requests)
            if isinstance(r, InsertOne) and r._doc["_id"] in self._duplicate
        ]
        matched = sum(isinstance(r, ReplaceOne) for r in requests)
        if errors:
            raise BulkWriteError({"writeErrors": errors, "nMatched": matched})
        return type("Result", (), {"matched_count": matched})()


async def test_writes_are_chunked_and_errors_keep_their_place() -> None:
    requests: list[Any] = []
    for n in range(130):
        requests.append(ReplaceOne({"_id": f"r{n}", "_rev": 1}, {"_id": f"r{n}", "_rev": 2}))
        requests.append(InsertOne({"_id": f"i{n}"}))
    store = Recorder(duplicate={"i7", "i129"})
    outcome = await bulk_write_in_chunks(store, requests)  # type: ignore[arg-type]
    sizes = [len(c) for c in store.commands]
    assert (
        max(len(c) for c in store.commands if isinstance(c[0], ReplaceOne)) <= UPDATES_PER_COMMAND
    )
    assert max(sizes) <= INSERTS_PER_COMMAND and sum(sizes) == len(requests)
    assert outcome.matched == 130
    assert sorted(requests[e["index"]]._doc["_id"] for e in outcome.errors) == ["i129", "i7"]
