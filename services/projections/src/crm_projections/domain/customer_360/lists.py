"""Lists of a customer_360 document, kept sorted so that any fold order gives one list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Document = dict[str, Any]


def sort(items: Iterable[Document], *keys: str) -> list[Document]:
    return sorted(items, key=lambda i: tuple(str(i.get(k) or "") for k in keys))


def upsert(items: list[Document], item: Document, *keys: str) -> list[Document]:
    """Replace the item with the same `id`, or add it; keep the list sorted."""
    return sort([i for i in items if i.get("id") != item.get("id")] + [item], *keys)


def unite(items: list[Document], over: list[Document], *keys: str) -> list[Document]:
    """Both lists in one, sorted; an item of `over` replaces the one of `items` with its `id`."""
    return sort({i["id"]: i for i in items + over}.values(), *keys)


def add_unique(items: list[str], value: str | None) -> list[str]:
    return sorted({*items, value}) if value is not None else items
