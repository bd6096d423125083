"""Event store on MongoDB: one document per commit, and an outbox of what is not yet on Kafka.

MongoDB (and FerretDB) writes one document atomically, so the events of a
commit land together with no transaction. The commit's `_id` is
`<stream>@<first version>`: two writers appending after the same version
collide on it, and the loser gets ConflictError (HTTP 409).

The outbox holds one small marker per append attempt, written *before* the commit and named
after that attempt, so a writer that loses a race never marks the winner's commit.
A marker whose commit never came is dropped after a grace period, one whose version another
writer won at once, and the winner's once Kafka has the events: those in batches, one delete
per MARKERS_PER_DELETE sent commits or per relay sweep, whichever comes first. The process
that sent a commit skips its marker until then, and other processes' sweeps leave markers
younger than SWEEP_GRACE to their writer. After a crash, a sweep sends those commits again
(consumers skip versions they applied); so may another process appending to the same stream
within that window, which must send the stream's earlier commits first. The outbox stays as small
as the backlog, so the relay's sweep never scans the history.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import bson
import structlog
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_kernel import deadline
from crm_kernel.adapters.lookups import IDS_PER_QUERY
from crm_kernel.domain.envelope import EventEnvelope, utcnow
from crm_kernel.domain.errors import ConflictError
from crm_kernel.ports.eventstore import Commit

log = structlog.get_logger(__name__)

Document = dict[str, Any]


def commit_id(stream_id: str, first_version: int) -> str:
    return f"{stream_id}@{first_version:012d}"


def marker_id(commit: str, attempt: str) -> str:
    return f"{commit}#{attempt}"


class RecentCommits:
    """Commits this process has read or written, least recently used evicted first (an
    OrderedDict: too small a need for a cache library). Commits never change,
    so a cached one is never stale; walking a stream then costs one read (the miss past its
    end) instead of one per commit. Commits other writers added are found by that read.
    Each is kept as its stored BSON, one object instead of a few dozen: ten thousand parsed
    commits made every full garbage collection pause the service for about 100 ms."""

    def __init__(self, max_commits: int) -> None:
        self._commits: OrderedDict[str, bytes] = OrderedDict()
        self._ends: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._max = max_commits

    def clear(self) -> None:
        self._commits.clear()
        self._ends.clear()

    def get(self, id_: str) -> Commit | None:
        found = self._commits.get(id_)
        if found is None:
            return None
        self._commits.move_to_end(id_)
        return _to_commit(bson.decode(found))

    def put(self, commit: Commit, document: Document) -> None:
        """`commit` as read or written, and the document it was stored as."""
        self._commits[commit.commit_id] = bson.encode(document)
        self._commits.move_to_end(commit.commit_id)
        self._ends[commit.stream_id] = max(
            self.known_end(commit.stream_id), (commit.version, commit.position)
        )
        self._ends.move_to_end(commit.stream_id)
        for cache in (self._commits, self._ends):
            while len(cache) > self._max:
                cache.popitem(last=False)

    def known_end(self, stream_id: str) -> tuple[int, int]:
        """A version the stream is known to have reached, and the position of the commit that
        reached it: commits are never removed. (0, 0) when nothing is known."""
        return self._ends.get(stream_id, (0, 0))


class CommitClock:
    """Positions without a shared counter (ADR 11): microseconds since the epoch, above every
    position this process drew and above the stream's previous commit. So positions follow
    versions within a stream, and the wall clock across streams and processes (ties are
    broken by commit id): the ordering hint `read_all` needs, at no round trip."""

    def __init__(self, now_ns: Callable[[], int] = time.time_ns) -> None:
        self._now_ns = now_ns
        self._last = 0

    def next(self, after: int = 0) -> int:
        self._last = max(self._now_ns() // 1000, self._last + 1, after + 1)
        return self._last


class MongoEventStore:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        collection: str = "events",
        recent_commits: int = 10_000,
    ) -> None:
        self._commits = db[collection]
        self._outbox = db[f"{collection}_outbox"]
        self._identity = db[f"{collection}_identity"]
        self._recent = RecentCommits(recent_commits)
        self._clock = CommitClock()
        self._token: str | None = None  # which store this process cached commits from
        # Markers of commits on Kafka, to delete in one batch, and those being deleted.
        self._sent: dict[str, None] = {}
        self._deleting: set[str] = set()
        self._writer = uuid4().hex  # names this process's markers for other processes' sweeps

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
        self._recent.put(commit, doc)
        return commit

    async def _chain(self, stream_id: str, after: int = 0) -> list[Commit]:
        """The stream's commits after version `after` in order, by walking their ids: each
        commit's id names the version it starts at, so the next one is at `version + 1`.
        Point reads by `_id` are the one lookup every MongoDB-compatible store (FerretDB too)
        answers from an index. `after` must end a commit (else the walk finds nothing)."""
        commits: list[Commit] = []
        version = after + 1
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
        deadline.appending()  # a request deadline no longer cancels this request
        # The commit's unique `_id` catches any writer that got there first. Before writing,
        # only a gap must be ruled out: a new stream, or a commit seen ending at
        # `expected_version` (the load that produced it just walked the stream), needs no read.
        if self._token is None:
            await self.check_identity()
        known_version, known_position = self._recent.known_end(stream_id)
        if expected_version != known_version:
            current = await self.stream_version(stream_id)
            if current != expected_version:
                raise _conflict(stream_id, expected_version, current)
            _, known_position = self._recent.known_end(stream_id)
        position = self._clock.next(after=known_position)
        first = commit_id(stream_id, expected_version + 1)
        # One marker per attempt: a writer that loses the race never marks the winner's
        # commit, so nothing is ever published twice from here. (Not the position: FerretDB's
        # $inc is not atomic, so racing appends may draw the same one.)
        attempt = uuid4().hex
        marker = {
            "_id": marker_id(first, attempt),
            "commit_id": first,
            "attempt": attempt,
            "stream_id": stream_id,
            "version_from": expected_version + 1,
            "created_at": utcnow().isoformat(),
            "writer": self._writer,
        }
        await self._outbox.insert_one(marker)
        document = {
            "_id": first,
            "stream_id": stream_id,
            "version_from": expected_version + 1,
            "version_to": expected_version + len(events),
            "position": position,
            "attempt": attempt,
            "committed_at": utcnow().isoformat(),
            "events": [e.model_dump(mode="json") for e in events],
        }
        try:
            await self._commits.insert_one(document)
        except DuplicateKeyError:
            await self._outbox.delete_one({"_id": marker["_id"]})  # the relay would drop it too
            raise _conflict(
                stream_id, expected_version, await self.stream_version(stream_id)
            ) from None
        commit = _to_commit(document)  # exactly what a later read returns
        self._recent.put(commit, document)
        return commit

    async def read_stream(self, stream_id: str, after: int = 0) -> list[EventEnvelope]:
        return [event for commit in await self._chain(stream_id, after) for event in commit.events]

    async def read_commit(self, commit_id: str) -> Commit | None:
        return await self._commit(commit_id)

    def known_version(self, stream_id: str) -> int:
        return self._recent.known_end(stream_id)[0]

    def known_stream(self, stream_id: str) -> list[EventEnvelope] | None:
        end, _ = self._recent.known_end(stream_id)
        events: list[EventEnvelope] = []
        version = 1
        while version <= end:
            commit = self._recent.get(commit_id(stream_id, version))
            if commit is None:
                return None  # evicted: only the store has the whole stream
            events += commit.events
            version = commit.version + 1
        return events or None

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
        # Paged by (position, _id): racing appends on FerretDB may share a position.
        query: Document = {}
        while True:
            page = await self._commits.find(
                query, sort=[("position", ASCENDING), ("_id", ASCENDING)], limit=batch_size
            ).to_list()
            for doc in page:
                yield _to_commit(doc)
            if len(page) < batch_size:
                return
            last = page[-1]
            query = {
                "$or": [
                    {"position": {"$gt": last["position"]}},
                    {"position": last["position"], "_id": {"$gt": last["_id"]}},
                ]
            }

    async def unpublished(
        self, stream_id: str | None = None, limit: int = 500, exclude: Collection[str] = ()
    ) -> list[Commit]:
        sweep = stream_id is None  # the relay's sweep: a natural time to check and tidy up
        if sweep:
            await self.check_identity()
            await self._delete_sent()
        markers = await self._outbox.find(
            _outbox_query(stream_id, exclude),
            sort=[("stream_id", ASCENDING), ("version_from", ASCENDING)],
            limit=limit,
        ).to_list()
        pending: list[Commit] = []
        listed: set[str] = set()
        held: set[str] = set()  # streams whose earlier commit is left to its writer
        for marker in markers:
            if marker["_id"] in self._sent or marker["_id"] in self._deleting:
                continue  # on Kafka already, its marker not yet deleted
            if marker.get("stream_id") in held:
                continue  # never a stream's later commit before its earlier one
            if sweep and self._another_writers_recent(marker):
                # Its writer publishes it, or has, and deletes the marker soon.
                held.add(marker.get("stream_id", ""))
                continue
            commit = await self._unsent_commit(marker)
            if commit is not None and commit.commit_id not in listed:
                listed.add(commit.commit_id)  # a legacy marker and its upgrade list it once
                pending.append(commit)
        return pending

    async def _unsent_commit(self, marker: Document) -> Commit | None:
        """The commit `marker` says is unsent, or None when there is nothing to send; a marker
        that can no longer name one is deleted."""
        if "commit_id" not in marker:
            marker = await self._upgrade(marker)
        commit = await self._commit(marker["commit_id"])
        if commit is not None and commit.attempt == marker["attempt"]:
            return commit
        if commit is not None or _older_than(marker["created_at"], ORPHAN_GRACE):
            # Another writer's commit won that version, or the append that wrote this
            # marker failed before its commit: nothing to send.
            await self._outbox.delete_one({"_id": marker["_id"]})
        return None

    def _another_writers_recent(self, marker: Document) -> bool:
        writer = marker.get("writer")
        return (
            writer is not None
            and writer != self._writer
            and not _older_than(marker["created_at"], SWEEP_GRACE)
        )

    async def _upgrade(self, legacy: Document) -> Document:
        """A marker written before markers were per attempt: `_id` was the commit's id."""
        commit = await self._commit(legacy["_id"])
        marker = {**legacy, "commit_id": legacy["_id"], "attempt": None}
        if commit is not None:
            marker |= {
                "_id": marker_id(commit.commit_id, commit.attempt),
                "attempt": commit.attempt,
            }
            with suppress(DuplicateKeyError):
                await self._outbox.insert_one(marker)
            await self._outbox.delete_one({"_id": legacy["_id"]})
        return marker

    async def mark_published(self, commits: list[Commit]) -> None:
        self._sent.update((marker_id(c.commit_id, c.attempt), None) for c in commits)
        if len(self._sent) >= MARKERS_PER_DELETE:
            await self._delete_sent()

    async def _delete_sent(self) -> None:
        batch = list(self._sent)
        self._deleting.update(batch)  # still skipped while the delete is under way
        self._sent.clear()
        try:
            for start in range(0, len(batch), IDS_PER_QUERY):
                chunk = batch[start : start + IDS_PER_QUERY]
                await self._outbox.delete_many({"_id": {"$in": chunk}})
        except Exception:
            self._sent.update((m, None) for m in batch)  # deleting twice is harmless
            raise
        finally:
            self._deleting.difference_update(batch)

    async def check_identity(self) -> None:
        """Which store this is: a token kept in the store itself. Another token, or none, means
        the database was reset under this process (e.g. wiped while the infra was down):
        then every cached commit is forgotten rather than trusted. Checked on the first append
        and at every relay sweep."""
        for attempt in range(2):
            try:
                found = await self._identity.find_one_and_update(
                    {"_id": "identity"},
                    {"$setOnInsert": {"token": uuid4().hex}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                break
            except DuplicateKeyError:
                if attempt:  # FerretDB's upserts race: another writer inserted it first
                    raise
        token = str(found["token"]) if found else None
        if token is None:
            raise RuntimeError("the event store's identity could not be read")
        if self._token is not None and token != self._token:
            log.warning("the event store was reset under this process: cached commits dropped")
            self._recent.clear()
        self._token = token


def _to_commit(doc: Document) -> Commit:
    return Commit(
        commit_id=doc["_id"],
        stream_id=doc["stream_id"],
        position=doc["position"],
        attempt=doc.get("attempt", ""),
        events=[EventEnvelope.model_validate(e) for e in doc["events"]],
    )


ORPHAN_GRACE = timedelta(minutes=5)
MARKERS_PER_DELETE = 32
# A sweep leaves another process's markers this young to that process: it is publishing them,
# or has and will delete them with its next batch. Older ones are a crash's leftovers.
SWEEP_GRACE = timedelta(seconds=5)


def _outbox_query(stream_id: str | None, exclude: Collection[str]) -> Document:
    """One stream's markers, or (the relay's sweep) every stream's but the excluded ones."""
    if stream_id is not None:
        return {"stream_id": stream_id}
    return {"stream_id": {"$nin": sorted(exclude)}} if exclude else {}


def _older_than(created_at: str, age: timedelta) -> bool:
    return datetime.fromisoformat(created_at) < utcnow() - age


def _conflict(stream_id: str, expected: int, current: int) -> ConflictError:
    return ConflictError(
        f"stream {stream_id} is at version {current}, not {expected}: reload and retry"
    )
