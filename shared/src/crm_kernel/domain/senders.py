"""Ids of things that outside systems send on ingest topics (ADR 18): the same sender's id
always names the same thing, so a redelivered message records nothing twice."""

from __future__ import annotations

import uuid


def sender_id(namespace: uuid.UUID, source: str, external_id: str) -> str:
    """A UUID5 of the sender's name and its own id, in a namespace fixed per kind of thing."""
    return str(uuid.uuid5(namespace, f"{source}\x1f{external_id}"))
