"""Snapshots of stream state in MongoDB, one document per stream beside the event store.

Looked up and replaced by `_id` (the stream id) alone, which every MongoDB-compatible store
answers from its index. A snapshot is a cache: a malformed document reads as none.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_kernel.domain.envelope import utcnow
from crm_kernel.ports.snapshots import Snapshot

log = structlog.get_logger(__name__)

Document = dict[str, Any]


class MongoSnapshotStore:
    def __init__(self, db: AsyncDatabase[Document], collection: str = "snapshots") -> None:
        self._snapshots = db[collection]

    async def get(self, stream_id: str) -> Snapshot | None:
        doc = await self._snapshots.find_one({"_id": stream_id})
        if doc is None:
            return None
        try:
            return Snapshot(
                stream_id=str(doc["_id"]),
                version=_int(doc["version"]),
                commit_id=str(doc["commit_id"]),
                position=_int(doc["position"]),
                schema=str(doc["schema"]),
                customer_id=None if doc.get("customer_id") is None else str(doc["customer_id"]),
                state=_text(doc["state"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            log.warning("malformed snapshot ignored", stream_id=stream_id, error=str(error))
            return None

    async def put(self, snapshot: Snapshot) -> None:
        document = {
            "_id": snapshot.stream_id,
            "version": snapshot.version,
            "commit_id": snapshot.commit_id,
            "position": snapshot.position,
            "schema": snapshot.schema,
            "customer_id": snapshot.customer_id,
            "state": snapshot.state,
            "written_at": utcnow().isoformat(),
        }
        # Only over an older snapshot: where one of this version or later is kept, the filter
        # matches nothing, the upsert's insert collides on `_id`, and the newer one stays.
        with suppress(DuplicateKeyError):
            await self._snapshots.replace_one(
                {"_id": snapshot.stream_id, "version": {"$lt": snapshot.version}},
                document,
                upsert=True,
            )

    async def delete(self, stream_id: str) -> None:
        await self._snapshots.delete_one({"_id": stream_id})


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("the state is not text")
    return value
