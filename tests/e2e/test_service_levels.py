"""Service levels over the whole platform (issue 14; ADR 48-50), in real time: a complaint from
the call centre's ingest topic opened in a round-robin team is routed to an agent; the first
public reply comes inside its target; waiting on the customer pauses the resolution clock and
their answer resumes it, later; the resolution deadline passes, so the deadline scheduler
records the breach at it and escalates; resolved late it stays breached; the survey tool's
CSAT 2 arrives on its ingest topic; the customer's reply reopens it and an agent closes it.
The 360 view and the service-levels read model show it."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.e2e.test_case_ingest import INGEST
from tests.e2e.test_leads import ok
from tests.e2e.test_order_ingest import send
from tests.e2e.test_walking_skeleton import post, register, token, view_when
from tests.processes import URGENT_COMPLAINT_S

SUPPORT = "support:write"
# Every day round the clock, so the deadlines are plain sums.
ALWAYS = {"time_zone": "UTC", "days": [1, 2, 3, 4, 5, 6, 7], "opens": "00:00",
          "closes": "00:00"}  # fmt: skip


def levels(platform, case_id: str) -> dict:
    found = httpx.get(f"{platform.urls['projections']}/service-levels/cases/{case_id}",
                      headers=token("projections:read"), timeout=10)  # fmt: skip
    return found.json() if found.status_code == 200 else {}


def when(platform, case_id: str, holds, within_s: float = 30.0) -> dict:
    deadline = datetime.now(UTC) + timedelta(seconds=within_s)
    while True:
        found = levels(platform, case_id)
        if found and holds(found):
            return found
        assert datetime.now(UTC) < deadline, found
        asyncio.run(asyncio.sleep(0.3))


def test_a_complaint_is_routed_answered_in_time_paused_breached_escalated_and_closed(
    platform,
) -> None:
    customer = register(platform, name="Rita Soler", email=f"r.{uuid.uuid4().hex[:8]}@s.example")
    desk = ok(post(platform, "support", "/support-teams",
                   {"name": "Complaints", "assignment": "round_robin", "calendar": ALWAYS},
                   SUPPORT), 201)["team_id"]  # fmt: skip
    for agent in ("nuria", "pau"):
        ok(post(platform, "support", f"/support-teams/{desk}/agents",
                {"agent": agent, "capacity": 5}, SUPPORT))  # fmt: skip
    external = f"call-{uuid.uuid4().hex[:10]}"
    complaint = {
        "source": "callcentre", "external_id": external, "customer_id": customer,
        "kind": "complaint", "priority": "urgent", "channel": "phone", "team_id": desk,
        "subject": "Lamp arrived broken", "description": "The glass was shattered",
    }  # fmt: skip
    asyncio.run(send(platform.kafka_bootstrap, external, complaint, topic=INGEST))
    view = view_when(platform, customer, lambda v: any(c.get("assignee") for c in
                                                       v["support"]["cases"]))  # fmt: skip
    [case] = view["support"]["cases"]
    assert case["assignee"] in ("nuria", "pau") and case["team_id"] == desk
    kase = case["id"]

    def step(path: str, body: dict | None = None) -> None:
        ok(post(platform, "support", f"/cases/{kase}/{path}", body or {}, SUPPORT))

    # The test platform's urgent complaints: 30 min to a first response, URGENT_COMPLAINT_S
    # seconds to a resolution, on the team's round-the-clock calendar.
    step("work")
    step("replies", {"author": "agent", "body": "Sorry: could you send a photo?"})
    step("waiting")
    paused = when(platform, kase, lambda f: f["targets"]["resolution"]["state"] == "paused")
    first = paused["targets"]["first_response"]
    assert (first["state"], first["taken_s"] < 60) == ("met", True)
    time.sleep(2)  # paused: these seconds do not count
    step("replies", {"author": "customer", "body": "Here it is"})  # resumes the clock
    resumed = when(platform, kase, lambda f: f["targets"]["resolution"]["state"] == "ongoing")
    due = datetime.fromisoformat(resumed["targets"]["resolution"]["due_at"])
    opened = datetime.fromisoformat(resumed["opened_at"])
    assert due - opened > timedelta(seconds=URGENT_COMPLAINT_S + 2)  # the pause moved it
    # The deadline passes: the scheduler records the breach at it, and escalates.
    breached = when(platform, kase, lambda f: f["escalated"]
                    and f["targets"]["resolution"]["state"] == "breached",
                    within_s=URGENT_COMPLAINT_S + 30)  # fmt: skip
    assert datetime.fromisoformat(breached["targets"]["resolution"]["due_at"]) == due
    step("resolution")
    resolved = when(platform, kase, lambda f: f["status"] == "resolved")
    assert resolved["targets"]["resolution"]["met"] is False  # breached for good
    # The survey tool sends the customer's answer: CSAT 2. Another answer to it is a 409.
    answer = {"source": "surveytool", "external_id": f"a-{external}", "case_id": kase,
              "csat": 2, "comment": "It took days"}  # fmt: skip
    asyncio.run(send(platform.kafka_bootstrap, answer["external_id"], answer,
                     topic="crm.support.surveys.ingest"))  # fmt: skip
    unhappy = view_when(platform, customer, lambda v: v["support"]["last_csat"] is not None)
    assert unhappy["support"]["last_csat"]["score"] == 2
    again = post(platform, "support", f"/cases/{kase}/survey-answers", {"csat": 5}, SUPPORT)
    assert again.status_code == 409 and "answered already" in again.text
    step("replies", {"author": "customer", "body": "Still broken"})  # reopens it
    when(platform, kase, lambda f: f["status"] == "in_progress")
    step("resolution")
    step("closing")
    closed = view_when(platform, customer,
                       lambda v: v["support"]["cases"][0]["status"] == "closed")  # fmt: skip
    support = closed["support"]
    [entry] = support["cases"]
    assert entry["breaches"] == [{"target": "resolution", "due_at": due.isoformat()}]
    assert (entry["escalated"], support["breaches"]) == (True, 1)
    assert support["average_first_response_s"] == first["taken_s"]
    timeline = httpx.get(f"{platform.urls['projections']}/customers/{customer}/timeline",
                         params={"context": "support", "limit": 200},
                         headers=token("projections:read"), timeout=10).json()["items"]  # fmt: skip
    [breach] = [i for i in timeline if i["type"].endswith("CaseTargetBreached.v1")]
    assert breach["actor"] == "policy:case-sla-breach"
    assert datetime.fromisoformat(breach["occurred_at"]) == due  # at the deadline


def test_a_business_customers_urgent_case_gets_the_business_policy(platform) -> None:
    """The customer's type comes from contacts' events: the most specific policy wins."""
    business = register(platform, name="Obres Pla SL", kind="organisation",
                        customer_type="business", email=f"o.{uuid.uuid4().hex[:8]}@pla.example")  # fmt: skip
    consumer = register(platform, name="Joan Pla", email=f"j.{uuid.uuid4().hex[:8]}@pla.example")
    view_when(platform, business, lambda v: v["profile"] is not None)
    opened = {}
    for customer in (business, consumer):
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while True:  # until support has learnt the registration from contacts' events
            case = ok(post(platform, "support", "/cases",
                           {"customer_id": customer, "kind": "incident", "priority": "urgent",
                            "subject": "Site down", "description": "Nothing works"}, SUPPORT),
                      201)["case_id"]  # fmt: skip
            policy = when(platform, case, lambda f: f["policy"] is not None)["policy"]
            if customer == consumer or policy == "business urgent":
                break
            assert datetime.now(UTC) < deadline, policy
        opened[customer] = policy
    assert opened == {business: "business urgent", consumer: "urgent"}
