"""The interactions section: how often and on which channels we were in touch, the latest
contact, and how fast the customer answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_contacts_contracts.events import InteractionAnswered, InteractionLogged
from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.customer_360.section import Section
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import json_time

Document = dict[str, Any]
FOLDS = Folds()
COUNTS = ("count", "inbound", "outbound", "answered", "response_seconds_total")


def blank() -> Document:
    return {
        "interactions": {
            "count": 0,
            "by_channel": {},
            "inbound": 0,
            "outbound": 0,
            "last_at": None,
            "last_channel": None,
            "answered": 0,
            "response_seconds_total": 0,
        }
    }


@FOLDS.on(InteractionLogged)
def _logged(doc: Document, event: InteractionLogged, envelope: EventEnvelope) -> None:
    part, channel = doc["interactions"], event.channel.value
    part["count"] += 1
    part["by_channel"][channel] = part["by_channel"].get(channel, 0) + 1
    part[event.direction.value] += 1
    _note_last(part, json_time(event.occurred_at), channel)
    if event.answered_at is not None:
        _answered(part, event.occurred_at, event.answered_at)


@FOLDS.on(InteractionAnswered)
def _answered_later(doc: Document, event: InteractionAnswered, envelope: EventEnvelope) -> None:
    _answered(doc["interactions"], event.interaction_occurred_at, event.answered_at)


def _note_last(part: Document, at: str | None, channel: str | None) -> None:
    """Keep the latest interaction (ties broken by channel, so any order gives one answer)."""
    if at is None:
        return
    if part["last_at"] is None or (at, channel) > (part["last_at"], part["last_channel"]):
        part["last_at"], part["last_channel"] = at, channel


def _answered(part: Document, occurred: datetime, answered: datetime) -> None:
    seconds = (answered - occurred).total_seconds()
    part["answered"] += 1
    part["response_seconds_total"] += max(0, int(seconds))


def absorb(survivor: Document, merged: Document) -> None:
    mine, theirs = survivor["interactions"], merged["interactions"]
    for key in COUNTS:
        mine[key] += theirs[key]
    for channel, n in theirs["by_channel"].items():
        mine["by_channel"][channel] = mine["by_channel"].get(channel, 0) + n
    _note_last(mine, theirs["last_at"], theirs["last_channel"])


def average_response_seconds(part: Document) -> int | None:
    answered: int = part["answered"]
    return round(part["response_seconds_total"] / answered) if answered else None


SECTION = Section(blank=blank, folds=FOLDS, absorb=absorb)
