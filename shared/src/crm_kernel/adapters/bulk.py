"""Bulk writes in bounded chunks.

A stock FerretDB 1.x freezes the whole database on one update command of 100 statements or
more (issue 9; our local build carries a fix, ADR 8). The read side must never depend on a
server's tolerance, so every bulk write goes out in chunks well below that, one after another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

Document = dict[str, Any]
Request = InsertOne[Document] | ReplaceOne[Document] | UpdateOne | DeleteOne
UPDATES_PER_COMMAND = 50  # half of what freezes a stock FerretDB 1.x
INSERTS_PER_COMMAND = 1_000  # inserts take no per-statement query: only size bounds them


@dataclass
class BulkOutcome:
    matched: int = 0
    # Each error as the server reported it, with `index` into the whole request list.
    errors: list[Document] = field(default_factory=list)


async def bulk_write_in_chunks(
    collection: AsyncCollection[Document], requests: Sequence[Request]
) -> BulkOutcome:
    """Unordered writes in bounded commands: inserts 1,000 a command, the rest 50; write
    errors are collected, not raised, so the caller decides which of them it expects."""
    outcome = BulkOutcome()
    inserts = [n for n, r in enumerate(requests) if isinstance(r, InsertOne)]
    updates = [n for n, r in enumerate(requests) if not isinstance(r, InsertOne)]
    for positions, size in ((inserts, INSERTS_PER_COMMAND), (updates, UPDATES_PER_COMMAND)):
        for start in range(0, len(positions), size):
            chunk = positions[start : start + size]
            try:
                result = await collection.bulk_write([requests[n] for n in chunk], ordered=False)
                outcome.matched += result.matched_count
            except BulkWriteError as error:
                outcome.matched += error.details.get("nMatched", 0)
                outcome.errors += [
                    {**e, "index": chunk[e["index"]]} for e in error.details.get("writeErrors", [])
                ]
    return outcome
