"""Event store on MongoDB: one document per commit, and an outbox of what is not yet on Kafka.

MongoDB (and FerretDB) writes one document atomically, so the events of a
commit land together with no transaction. The commit's `_id` is
`<stream>@<first version>`: two writers appending after the same version
collide on it, and the loser gets ConflictError (HTTP 409).

The outbox holds one small marker per unpublished commit, written *before* the commit (a
marker whose commit never came is dropped after a grace period) and deleted once Kafka has
the events. It stays as small as the backlog, so the relay's sweep never scans the history.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_kernel.domain.envelope import EventEnvelope, utcnow
from crm_kernel.domain.errors import ConflictError
from crm_kernel.eventstore import Commit

Document = dict[str, Any]


def commit_id(stream_id: str, first_version: int) -> str:
    return f"{stream_id}@{first_version:012d}"


class RecentCommits:
    """Commits this process has read or written, least recently used evicted first (an
    OrderedDict: too small a need for a cache library). Commits never change,
    so a cached one is never stale; walking a stream then costs one read (the miss past its
    end) instead of one per commit. Commits other writers added are found by that read."""

    def __init__(self, max_commits: int) -> None:
        self._commits: OrderedDict[str, Commit] = OrderedDict()
        self._max = max_commits

    def get(self, id_: str) -> Commit | None:
        found = self._commits.get(id_)
        if found is not None:
            self._commits.move_to_end(id_)
        return found

    def put(self, commit: Commit) -> None:
        self._commits[commit.commit_id] = commit
        self._commits.move_to_end(commit.commit_id)
        while len(self._commits) > self._max:
            self._commits.popitem(last=False)


class MongoEventStore:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        collection: str = "events",
        recent_commits: int = 10_000,
    ) -> None:
        self._commits = db[collection]
        self._outbox = db[f"{collection}_outbox"]
        self._counters = db["counters"]
        self._recent = RecentCommits(recent_commits)

    async def ensure_indexes(self) -> None:
        await self._commits.create_index(
            [("stream_id", ASCENDING), ("version_from", ASCENDING)], unique=True
        )
        await self._commits.create_index([("position", ASCENDING)])

    async def _commit(self, id_: str) -> Commit | None:
        if (cached := self._recent.get(id_)) is not None:
            return cached
        doc = await self._commits.find_one({"_id": id_})
        if doc is None:
            return None
        commit = _to_commit(doc)
        self._recent.put(commit)
        return commit

    async def _chain(self, stream_id: str) -> list[Commit]:
        """The stream's commits in order, by walking their ids: each commit's id names the
        version it starts at, so the next one is at `version + 1`. Point reads by `_id` are
        the one lookup every MongoDB-compatible store (FerretDB too) answers from an index.
        """
        commits: list[Commit] = []
        version = 1
        while commit := await self._commit(commit_id(stream_id, version)):
            commits.append(commit)
            version = commit.version + 1
        return commits

    async def stream_version(self, stream_id: str) -> int:
        commits = await self._chain(stream_id)
        return commits[-1].version if commits else 0

    async def append(
        self, stream_id: str, expected_version: int, events: list[EventEnvelope]
    ) -> Commit:
        if not events:
            raise ValueError("a commit needs at least one event")
        if [e.stream_version for e in events] != list(
            range(expected_version + 1, expected_version + 1 + len(events))
        ):
            raise ValueError("event versions must follow the expected version without gaps")
        # Checked before the outbox marker is written: a stale writer must not mark a commit
        # that is already published (the relay would send it again). The unique `_id` of the
        # commit still catches a writer racing past this check.
        current = await self.stream_version(stream_id)
        if current != expected_version:
            raise _conflict(stream_id, expected_version, current)
        position = await self._next_position()
        first = commit_id(stream_id, expected_version + 1)
        marker = {
            "_id": first,
            "stream_id": stream_id,
            "version_from": expected_version + 1,
            "created_at": utcnow().isoformat(),
        }
        with suppress(DuplicateKeyError):  # a concurrent writer of the same version marked it
            await self._outbox.insert_one(marker)
        document = {
            "_id": first,
            "stream_id": stream_id,
            "version_from": expected_version + 1,
            "version_to": expected_version + len(events),
            "position": position,
            "committed_at": utcnow().isoformat(),
            "events": [e.model_dump(mode="json") for e in events],
        }
        try:
            await self._commits.insert_one(document)
        except DuplicateKeyError:
            raise _conflict(
                stream_id, expected_version, await self.stream_version(stream_id)
            ) from None
        commit = _to_commit(document)  # exactly what a later read returns
        self._recent.put(commit)
        return commit

    async def read_stream(self, stream_id: str) -> list[EventEnvelope]:
        return [event for commit in await self._chain(stream_id) for event in commit.events]

    async def read_customer(self, customer_id: str) -> list[EventEnvelope]:
        cursor = self._commits.find(
            {"events.customer_id": customer_id}, sort=[("position", ASCENDING)]
        )
        return [
            event
            async for doc in cursor
            for event in _to_commit(doc).events
            if event.customer_id == customer_id
        ]

    async def read_all(self, batch_size: int = 500) -> AsyncIterator[Commit]:
        after = -1
        while True:
            page = await self._commits.find(
                {"position": {"$gt": after}}, sort=[("position", ASCENDING)], limit=batch_size
            ).to_list()
            for doc in page:
                yield _to_commit(doc)
            if len(page) < batch_size:
                return
            after = page[-1]["position"]

    async def unpublished(self, stream_id: str | None = None, limit: int = 500) -> list[Commit]:
        query: Document = {} if stream_id is None else {"stream_id": stream_id}
        markers = await self._outbox.find(
            query, sort=[("stream_id", ASCENDING), ("version_from", ASCENDING)], limit=limit
        ).to_list()
        pending = []
        for marker in markers:
            commit = await self._commit(marker["_id"])
            if commit is not None:
                pending.append(commit)
            elif _older_than(marker["created_at"], ORPHAN_GRACE):
                # The append that wrote this marker failed before its commit: nothing to send.
                await self._outbox.delete_one({"_id": marker["_id"]})
        return pending

    async def mark_published(self, commit_ids: list[str]) -> None:
        for commit in commit_ids:
            await self._outbox.delete_one({"_id": commit})

    async def _next_position(self) -> int:
        # Positions order commits for replay; a failed insert leaves a harmless gap.
        counter = await self._counters.find_one_and_update(
            {"_id": "position"},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if counter is None:  # upsert with AFTER always returns the document
            raise RuntimeError("the position counter could not be read")
        return int(counter["value"])


def _to_commit(doc: Document) -> Commit:
    return Commit(
        commit_id=doc["_id"],
        stream_id=doc["stream_id"],
        position=doc["position"],
        events=[EventEnvelope.model_validate(e) for e in doc["events"]],
    )


ORPHAN_GRACE = timedelta(minutes=5)


def _older_than(created_at: str, age: timedelta) -> bool:
    return datetime.fromisoformat(created_at) < utcnow() - age


def _conflict(stream_id: str, expected: int, current: int) -> ConflictError:
    return ConflictError(
        f"stream {stream_id} is at version {current}, not {expected}: reload and retry"
    )
