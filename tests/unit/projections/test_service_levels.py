"""The service-levels read model (crm_projections.domain.service_levels, ADR 50) and the 360
view's service levels, figures by hand on the default calendar (Monday to Friday,
09:00-17:00 UTC): time left read for the time asked, a deadline passed reading as breached
before the scheduler records it, paused while waiting on the customer, the summary's
nearest-rank percentiles and attainment; folding again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.events import DomainEvent
from crm_projections.application import service_level_queries
from crm_projections.application.pipeline_queries import When
from crm_projections.domain import service_levels
from crm_projections.domain.customer_360 import empty, fold
from crm_projections.domain.service_levels import nearest_rank, targets_at
from crm_projections.domain.wire_values import instant
from crm_support.domain.case import (
    AssignCase,
    OpenCase,
    RaiseBreach,
    Reply,
    Resolve,
    StartWork,
    WaitOnCustomer,
    case_decider,
)
from crm_support.domain.sla import DEFAULT_POLICIES
from crm_support_contracts.calendar import WorkingCalendar
from crm_support_contracts.events import CaseKind, Priority, ReplyAuthor, SlaTarget

NORMAL = DEFAULT_POLICIES[2].terms(WorkingCalendar())  # 8 h first response, 40 h resolution


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def life(case_id: str, *steps: Any, customer: str = "c1") -> list[EventEnvelope]:
    """The case opened Tuesday 1st at 15:00 and assigned, then `steps`; each step's events
    happened at its `at` (the assignment with the opening)."""
    opened = OpenCase(
        case_id=case_id, customer_id=customer, kind=CaseKind.COMPLAINT, priority=Priority.NORMAL,
        channel="email", subject="Late", description="private", at=utc(1, 15), sla=NORMAL,
    )  # fmt: skip
    events: list[DomainEvent] = []
    out: list[EventEnvelope] = []
    at = opened.at
    for step in (opened, AssignCase(case_id=case_id, assignee="marta"), *steps):
        at = getattr(step, "at", at)
        made = case_decider.decide(case_decider.fold(events), step)
        out += wrap(made, source="crm.support", stream_id=f"case-{case_id}",
                    expected_version=len(events),
                    metadata=Metadata(actor="t", occurred_at=at), now=at)  # fmt: skip
        events += made
    return out


def reply(case_id: str, at: datetime, who: ReplyAuthor = ReplyAuthor.AGENT) -> Reply:
    return Reply(case_id=case_id, reply_id=f"r-{at.isoformat()}", author=who, body="…", at=at)


def document(stream: list[EventEnvelope]) -> dict[str, Any]:
    return service_levels.fold(service_levels.empty(stream[0].data["case_id"]), stream)


def test_an_open_case_reads_its_time_left_and_a_passed_deadline_as_breached() -> None:
    doc = service_levels.MODEL.now(document(life("s1")))
    assert doc is not None
    # First response due Wednesday 15:00 (8 working hours from Tuesday 15:00).
    early = targets_at(doc, utc(2, 14))["targets"]
    assert early["first_response"] == {
        "state": "ongoing", "due_at": "2026-12-02T15:00:00+00:00", "left_s": 3600,
    }  # fmt: skip
    late = targets_at(doc, utc(2, 16))["targets"]
    assert late["first_response"]["state"] == "breached"  # before the scheduler records it
    assert late["resolution"]["state"] == "ongoing"


def test_waiting_pauses_and_a_late_resolution_is_breached_for_good() -> None:
    stream = life("s1", StartWork(case_id="s1", at=utc(1, 16)), reply("s1", utc(2, 10)),
                  WaitOnCustomer(case_id="s1", at=utc(3, 9)))  # fmt: skip
    doc = service_levels.MODEL.now(document(stream))
    assert doc is not None
    targets = targets_at(doc, utc(30, 9))["targets"]
    assert targets["first_response"]["state"] == "met"
    assert targets["first_response"]["taken_s"] == 3 * 3600
    assert targets["resolution"] == {"state": "paused", "due_at": None}
    ended = life("s2", StartWork(case_id="s2", at=utc(1, 16)), reply("s2", utc(2, 10)),
                 RaiseBreach(case_id="s2", target=SlaTarget.RESOLUTION, due_at=utc(8, 15)),
                 Resolve(case_id="s2", at=utc(9, 10)))  # fmt: skip
    late = service_levels.MODEL.now(document(ended))
    assert late is not None
    resolution = targets_at(late, utc(9, 11))["targets"]["resolution"]
    assert (resolution["state"], resolution["met"]) == ("breached", False)
    assert late["escalated"] and late["priority"] == "high"  # normal's escalation


def test_folding_again_or_as_of_a_time_changes_nothing() -> None:
    stream = life("s1", StartWork(case_id="s1", at=utc(1, 16)), reply("s1", utc(2, 10)))
    doc = document(stream)
    assert service_levels.fold(doc, stream) == doc
    then = service_levels.MODEL.as_of(doc, instant(utc(1, 15)), "occurred")
    assert then is not None and then["first_response_reached"] is None


def test_nearest_rank_percentiles() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([40, 10, 30, 20], 50) == 20  # ceil(0.5 * 4) = 2nd
    assert nearest_rank([40, 10, 30, 20], 90) == 40  # ceil(0.9 * 4) = 4th
    assert nearest_rank([7], 90) == 7


class Docs:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    async def find(self, query: dict[str, Any], sort: Any, limit: int) -> list[dict[str, Any]]:
        wanted = query.get("_id")
        return [d for d in self.docs if wanted is None or d["_id"] == wanted][:limit]


async def test_the_summary_reads_for_the_watermark_per_priority_and_month() -> None:
    answered = [
        life(f"s{n}", StartWork(case_id=f"s{n}", at=utc(1, 16)), reply(f"s{n}", utc(2, hour)))
        for n, hour in enumerate((10, 12, 14))  # 3, 5 and 7 working hours: all met
    ]
    silent = life("s9")  # never answered: breached as of the watermark (Wednesday 14:00)
    store = Docs([document(stream) for stream in (*answered, silent)])
    found = await service_level_queries.summary(store, When(at=instant(utc(2, 14))), "priority")
    assert found["as_of"] == "2026-12-02T14:00:00+00:00"  # the latest event, not the clock
    [normal] = found["groups"]
    first = normal["first_response"]
    assert (first["reached"], first["met"], first["breached"]) == (3, 3, 0)
    assert (first["p50_s"], first["p90_s"]) == (5 * 3600, 7 * 3600)
    assert first["attainment"] == 1.0
    later = Docs([*store.docs, document(life("s8", reply("s8", utc(3, 9))))])
    summary = await service_level_queries.summary(later, When(at=instant(utc(3, 9))), "priority")
    first = summary["groups"][0]["first_response"]
    # s9 now past its deadline; s8 answered Thursday 09:00, 10 working hours: breached.
    assert (first["met"], first["breached"], first["attainment"]) == (3, 2, 0.6)
    assert [p["month"] for p in summary["groups"][0]["periods"]] == ["2026-12"]


def test_the_360_view_shows_breaches_escalation_and_the_average_first_response() -> None:
    stream = life("s1", StartWork(case_id="s1", at=utc(1, 16)), reply("s1", utc(3, 9)))
    view = fold(empty("c1"), stream)["support"]
    [case] = view["cases"]
    assert case["breaches"] == [{"target": "first_response", "due_at": "2026-12-02T15:00:00+00:00"}]
    assert (case["escalated"], case["priority"], case["first_response_s"]) == (
        True, "high", 10 * 3600,
    )  # fmt: skip
    assert (view["breaches"], view["escalated_open_cases"]) == (1, 1)
    assert view["average_first_response_s"] == 10 * 3600
