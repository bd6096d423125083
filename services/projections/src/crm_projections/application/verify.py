"""Verification: are two read-model databases the same fold of the log?

Each document is normalised (bookkeeping that depends on how often and by whom it was
written, `_rev` and `_w`, is dropped; keys sorted) and hashed; a collection's hash is the
hash of its documents' ids and hashes in id order. Equal hashes: byte for byte the same
after normalisation.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]
VOLATILE = {"_rev", "_w"}  # revision and writer token: how often and by whom, not what


def document_hash(doc: Document) -> str:
    normal = {k: v for k, v in doc.items() if k not in VOLATILE}
    text = json.dumps(
        normal, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class CollectionReport:
    name: str
    left_hash: str
    right_hash: str
    left_count: int
    right_count: int
    only_left: list[str]
    only_right: list[str]
    different: list[str]

    @property
    def equal(self) -> bool:
        return self.left_hash == self.right_hash


async def hashes(database: AsyncDatabase[Document], collection: str) -> dict[str, str]:
    return {str(doc["_id"]): document_hash(doc) async for doc in database[collection].find({})}


def collection_hash(doc_hashes: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for key in sorted(doc_hashes):
        digest.update(f"{key}\x1f{doc_hashes[key]}\n".encode())
    return digest.hexdigest()


async def compare(
    left: AsyncDatabase[Document], right: AsyncDatabase[Document], collections: tuple[str, ...]
) -> list[CollectionReport]:
    reports = []
    for name in collections:
        a, b = await hashes(left, name), await hashes(right, name)
        reports.append(
            CollectionReport(
                name=name,
                left_hash=collection_hash(a),
                right_hash=collection_hash(b),
                left_count=len(a),
                right_count=len(b),
                only_left=sorted(set(a) - set(b)),
                only_right=sorted(set(b) - set(a)),
                different=sorted(k for k in set(a) & set(b) if a[k] != b[k]),
            )
        )
    return reports
