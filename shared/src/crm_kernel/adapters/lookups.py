"""Reading a batch of documents by id: one `{"_id": {"$in": ids}}` per chunk of ids.

MongoDB answers it from its `_id` index. So does our local FerretDB build (ADR 8 patches the
push-down in, up to 500 ids a query); a stock FerretDB 1.x answers correctly too, but decodes
the whole collection to do it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

Document = dict[str, Any]
IDS_PER_QUERY = 500  # the most the local FerretDB pushes down to its index


async def find_by_ids(
    collection: AsyncCollection[Document], ids: Iterable[str], projection: list[str] | None = None
) -> list[Document]:
    wanted = sorted(set(ids))
    found: list[Document] = []
    for start in range(0, len(wanted), IDS_PER_QUERY):
        chunk = wanted[start : start + IDS_PER_QUERY]
        found += await collection.find({"_id": {"$in": chunk}}, projection=projection).to_list()
    return found
