"""Support cases over the whole platform (issue 14; ADR 46): opened on the phone about
a product, assigned, worked, a reply, waiting on the customer, the customer's answer resumes it,
resolved a while ago so it closes by itself when its deadline comes; the 360 view follows each
status; a reply to the closed case is a 409 with nothing appended."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.e2e.test_leads import LEADS_BLOCK, json_objects, ok, run_readme
from tests.e2e.test_pipeline import read_when
from tests.e2e.test_walking_skeleton import post, register, token, view_when

SUPPORT = "support:write"


def case_status(view: dict, case_id: str) -> str | None:
    return next((c["status"] for c in view["support"]["cases"] if c["id"] == case_id), None)


def test_a_case_is_worked_resolved_and_closes_by_itself(platform) -> None:
    customer = register(
        platform, name="Nil Ferrer", email=f"n.{uuid.uuid4().hex[:8]}@ferrer.example"
    )
    opened = ok(
        post(platform, "support", "/cases",
             {"customer_id": customer, "kind": "complaint", "priority": "high",
              "channel": "phone", "subject": "Broken lamp", "description": "It flickers",
              "product_sku": "LAMP-40"}, SUPPORT),
        201,
    )  # fmt: skip
    case = opened["case_id"]

    def step(path: str, body: dict | None = None) -> dict:
        return ok(post(platform, "support", f"/cases/{case}/{path}", body or {}, SUPPORT))

    ok(httpx.put(f"{platform.urls['support']}/cases/{case}/assignee", json={"assignee": "marta"},
                 headers=token(SUPPORT), timeout=10))  # fmt: skip
    step("work")
    step("replies", {"author": "agent", "body": "Could you send a photo?"})
    step("waiting")
    view = view_when(platform, customer, lambda v: case_status(v, case) == "waiting_on_customer")
    assert view["support"]["open_cases"] == 1
    step("replies", {"author": "customer", "body": "Here it is"})
    view_when(platform, customer, lambda v: case_status(v, case) == "in_progress")
    eight_days_ago = (datetime.now(UTC) - timedelta(days=8)).replace(microsecond=0).isoformat()
    step("resolution", {"occurred_at": eight_days_ago})
    # Resolved eight days ago: its auto-close deadline (7 days) has passed, so it closes.
    closed = view_when(platform, customer, lambda v: case_status(v, case) == "closed")
    assert (closed["support"]["open_cases"], closed["support"]["closed_cases"]) == (0, 1)
    [entry] = [c for c in closed["support"]["cases"] if c["id"] == case]
    assert (entry["channel"], entry["product_sku"]) == ("phone", "LAMP-40")

    def support_timeline() -> list[dict]:
        return httpx.get(f"{platform.urls['projections']}/customers/{customer}/timeline",
                         params={"context": "support", "limit": 200},
                         headers=token("projections:read"), timeout=10).json()["items"]  # fmt: skip

    before = support_timeline()
    late = post(platform, "support", f"/cases/{case}/replies",
                {"author": "customer", "body": "Still broken"}, SUPPORT)  # fmt: skip
    assert late.status_code == 409 and "is closed: open a new case" in late.text
    time.sleep(0.5)
    assert support_timeline() == before  # nothing was appended
    [closing] = [i for i in before if i["type"].endswith("CaseClosed.v1")]
    # Closed by the policy, as having happened at its deadline: 7 days after the resolution.
    resolved = datetime.fromisoformat(eight_days_ago)
    assert closing["actor"] == "policy:case-auto-close"
    assert datetime.fromisoformat(closing["occurred_at"]) == resolved + timedelta(days=7)


def test_the_readmes_support_examples_work_pasted_in_order(platform) -> None:
    """The leads block (it makes $PROSPECT), then the support blocks. (This module sorts after
    test_leads, whose README run expects the first lead with its phone on the platform.)"""
    printed, prospect = run_readme(
        platform,
        [LEADS_BLOCK, "### The support context: a case's life",
         "### The support context: teams and service levels",
         "### The support context: surveys, ratings and returns"],
        reads=7, show="PROSPECT",
    )  # fmt: skip
    answers = list(json_objects(printed))
    refusals = [a["detail"][0]["msg"] for a in answers if "detail" in a]
    assert len(refusals) == 2, printed  # the leads block's one, and the reply after closing
    assert "is closed: open a new case instead" in refusals[1]
    [urgent] = [a for a in answers if "assignee" in a and "case_id" in a and a["assignee"]]
    assert urgent["assignee"] in ("marta", "luis")  # routed by the team at once

    def cases(view: dict) -> dict[str, dict]:
        return {c["kind"]: c for c in view["support"]["cases"]}

    # The question of ten days ago: both deadlines long passed, so the scheduler breaches
    # both and escalates it (normal raised to high once).
    view = view_when(platform, prospect, lambda v: len(cases(v).get("question", {})
                                                       .get("breaches", [])) == 2)  # fmt: skip
    found = cases(view)
    assert (found["question"]["escalated"], found["question"]["priority"]) == (True, "high")
    closed = found["complaint"]
    assert (closed["status"], closed["assignee"], closed["product_sku"]) == (
        "closed", "marta", "LAMP-40",
    )  # fmt: skip
    assert found["incident"]["assignee"] == urgent["assignee"]
    summary = httpx.get(f"{platform.urls['projections']}/service-levels/summary",
                        params={"by": "priority"}, headers=token("projections:read"),
                        timeout=10).json()  # fmt: skip
    assert {"normal", "urgent"} <= {g["group"] for g in summary["groups"]}
    # The surveys, ratings and returns block: a CSAT of 4, three stars, a lamp refunded.
    view = view_when(platform, prospect, lambda v: v["support"]["return_requests"]
                     and v["support"]["return_requests"][0]["status"] == "resolved")  # fmt: skip
    support = view["support"]
    assert support["last_csat"]["score"] == 4
    assert [r["stars"] for r in support["product_ratings"]] == [3]
    account = read_when(platform, f"/receivables/{prospect}",
                        lambda a: a["refunded"] == {"EUR": "30.00"})  # fmt: skip
    assert account["credited_net"] == {}  # the credit went with the return: not counted twice
