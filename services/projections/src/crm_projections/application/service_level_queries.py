"""The service-levels read model as service desks and dashboards query it (ADR 50): each case
with its targets' standing, the open ones with the time left (read for the request's time, or
as of a time), and the figures per priority, team or agent: first-response and resolution
times (p50, p90, nearest rank) and attainment per month, read for the event-time watermark
(the latest instant a case event happened), so a replay gives the same figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from crm_projections.application.pipeline_queries import DealDocuments, TooManyToRead, When
from crm_projections.domain import service_levels
from crm_projections.domain.service_levels import OPEN, TARGETS, figures, period_of, targets_at

Document = dict[str, Any]
MAX_CASES = 50_000
GroupBy = Literal["priority", "team_id", "assignee"]
# By priority: the one a case opened with, which chose its targets (an escalation raises it).
GROUP_FIELD = {"priority": "opened_priority", "team_id": "team_id", "assignee": "assignee"}


def _fields(doc: Document, when: When) -> Document | None:
    model = service_levels.MODEL
    return model.as_of(doc, when.at, when.basis) if when.as_of else model.now(doc)


async def _cases(store: DealDocuments, when: When) -> list[Document]:
    docs = await store.find({}, sort=[("_id", 1)], limit=MAX_CASES + 1)
    if len(docs) > MAX_CASES:
        raise TooManyToRead(f"more than {MAX_CASES} cases: narrow the query")
    found = [(doc, _fields(doc, when)) for doc in docs]
    return [{**fields, "_history": doc["history"]} for doc, fields in found if fields is not None]


def _at(when: When) -> datetime:
    return datetime.fromisoformat(when.at)


async def one_case(store: DealDocuments, case_id: str, when: When) -> Document | None:
    docs = await store.find({"_id": case_id}, sort=[("_id", 1)], limit=1)
    fields = _fields(docs[0], when) if docs else None
    return None if fields is None else targets_at(fields, _at(when))


async def open_cases(
    store: DealDocuments, when: When, team_id: str | None, assignee: str | None
) -> list[Document]:
    """The open cases (of the team, of the agent), soonest deadline first."""
    found = []
    for case in await _cases(store, when):
        if case["status"] not in OPEN or (team_id and case["team_id"] != team_id):
            continue
        if assignee and case["assignee"] != assignee:
            continue
        found.append(targets_at(_public(case), _at(when)))
    return sorted(found, key=_soonest)


def _public(case: Document) -> Document:
    return {k: v for k, v in case.items() if k != "_history"}


def _soonest(case: Document) -> tuple[str, str]:
    dues = [t["due_at"] for t in case["targets"].values() if t and t.get("due_at")]
    return (min(dues) if dues else "9999", case["case_id"])


def watermark(cases: list[Document]) -> str | None:
    """The latest instant a case event happened, as read models record it."""
    return max((e["occurred_at"] for c in cases for e in c["_history"]), default=None)


async def summary(store: DealDocuments, when: When, by: GroupBy) -> Document:
    cases = await _cases(store, when)
    mark = watermark(cases) if not when.as_of else when.at
    if mark is None:
        return {"as_of": None, "by": by, "groups": []}
    at = datetime.fromisoformat(mark)
    groups: dict[str, list[Document]] = defaultdict(list)
    for case in cases:
        if case["policy"] is not None:
            groups[str(case[GROUP_FIELD[by]])].append(targets_at(_public(case), at))
    return {
        "as_of": at.isoformat(),
        "by": by,
        "groups": [_group(name, members) for name, members in sorted(groups.items())],
    }


def _group(name: str, cases: list[Document]) -> Document:
    periods: dict[str, dict[str, list[Document | None]]] = defaultdict(lambda: defaultdict(list))
    for case in cases:
        for target in TARGETS:
            standing = case["targets"][target]
            periods[period_of(standing, case)][target].append(standing)
    return {
        "group": name,
        "cases": len(cases),
        **{t: asdict(figures(c["targets"][t] for c in cases)) for t in TARGETS},
        "periods": [
            {"month": month, **{t: asdict(figures(by_target[t])) for t in TARGETS}}
            for month, by_target in sorted(periods.items())
        ],
    }
