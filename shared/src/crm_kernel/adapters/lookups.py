"""Reading a handful of documents by id.

A point read by `_id` is indexed on every MongoDB-compatible store; `{"_id": {"$in": ...}}`
is not on FerretDB 1.x, which decodes the whole collection for it. So few ids are read one
by one, many ids with one `$in` (a scan is then cheaper than many round trips).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

Document = dict[str, Any]
POINT_READS_UP_TO = 64


async def find_by_ids(
    collection: AsyncCollection[Document], ids: Iterable[str], projection: list[str] | None = None
) -> list[Document]:
    wanted = sorted(set(ids))
    if len(wanted) > POINT_READS_UP_TO:
        return await collection.find({"_id": {"$in": wanted}}, projection=projection).to_list()
    found = []
    for id_ in wanted:
        doc = await collection.find_one({"_id": id_}, projection=projection)
        if doc is not None:
            found.append(doc)
    return found
