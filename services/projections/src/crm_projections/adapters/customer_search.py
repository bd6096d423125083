"""The customer search on MongoDB: criteria on the derived `search` part as a query."""

from __future__ import annotations

from typing import Any

from crm_projections.adapters.read_store import MongoReadStore
from crm_projections.domain.customer_360.search import CustomerCriteria

Document = dict[str, Any]


def search_filter(criteria: CustomerCriteria) -> Document:
    query: Document = {"tombstone": {"$ne": True}}
    if criteria.name_terms is not None:
        query["search.name_terms"] = {"$all": criteria.name_terms}
    if criteria.email is not None:
        query["search.emails"] = criteria.email
    if criteria.phone is not None:
        query["search.phones"] = criteria.phone
    for field, value in (
        ("customer_type", criteria.customer_type),
        ("owner", criteria.owner),
        ("tags", criteria.tag),
        ("lifecycle", criteria.lifecycle),
        ("registration", criteria.registration),
    ):
        if value is not None:
            query[f"search.{field}"] = value
    if criteria.after_id is not None:
        query["_id"] = {"$gt": criteria.after_id}
    return query


class MongoCustomerSearch:
    def __init__(self, store: MongoReadStore) -> None:
        self._store = store

    async def search(self, criteria: CustomerCriteria) -> list[Document]:
        """Matching customers in id order, at most `criteria.limit`."""
        return await self._store.find(
            search_filter(criteria), sort=[("_id", 1)], limit=criteria.limit
        )
