"""Leads over HTTP on the whole platform (issue 12, first increment; ADR 26): captured,
assigned, worked and qualified, or disqualified and recycled; bad values get 422 and illegal
moves 409, with nothing appended. The lead's events reach the timeline of the customer id it
will have, readable there (its personal fields sealed on the way)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from crm_kernel.auth import ALL_SCOPES, issue_token
from crm_kernel.domain.envelope import topic_for
from crm_sales.domain.lead import lead_id_for, organisation_id_of, prospect_id_of
from crm_sales.entrypoints.lead_book import GROUP as LEAD_BOOK

from tests.e2e.test_walking_skeleton import count_events, post, token, view_when
from tests.support import SECRET, group_caught_up, wait_for

SALES = "sales:write"
TIMELINE_TIMEOUT_S = 20


def put(platform, path: str, body: dict) -> httpx.Response:
    return httpx.put(f"{platform.urls['sales']}{path}", json=body, headers=token(SALES), timeout=10)


def patch(platform, path: str, body: dict) -> httpx.Response:
    return httpx.patch(
        f"{platform.urls['sales']}{path}", json=body, headers=token(SALES), timeout=10
    )


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def timeline_when(platform, lead_id: str, count: int) -> list[dict]:
    """The timeline of the lead's customer id once it holds `count` events (bounded)."""
    return timeline_of(platform, prospect_id_of(lead_id), "sales", count)


def timeline_of(platform, customer_id: str, context: str, count: int) -> list[dict]:
    """A customer's timeline of one context once it holds `count` events (bounded)."""
    url = f"{platform.urls['projections']}/customers/{customer_id}/timeline"
    deadline, items = time.monotonic() + TIMELINE_TIMEOUT_S, []
    while time.monotonic() < deadline:
        response = httpx.get(url, headers=token("projections:read"), params={"context": context})
        if response.status_code == 200:
            items = response.json()["items"]
            if len(items) >= count:
                return items
        time.sleep(0.1)
    raise AssertionError(f"timeline of {customer_id} not at {count} events: {items}")


def capture(platform, **fields) -> str:
    lead_id = str(uuid.uuid4())
    body = {
        "lead_id": lead_id,
        "person_name": "Ana Ruiz",
        "company_name": "Lámparas Ruiz SL",
        "email": f"ana.{lead_id[:8]}@ruiz.example",  # its own: no duplicate report (ADR 28)
        "channel": "trade_fair",
        "estimated_value": "2400.00",
        "currency": "EUR",
        **fields,
    }
    answer = ok(post(platform, "sales", "/leads", body, SALES), 201)
    assert (answer["lead_id"], answer["customer_id"]) == (lead_id, prospect_id_of(lead_id))
    return lead_id


def test_a_lead_is_captured_assigned_worked_and_qualified(platform) -> None:
    lead_id = capture(platform, occurred_at="2026-03-05T10:00:00Z")
    base = f"/leads/{lead_id}"
    ok(put(platform, f"{base}/owner", {"owner": "marta"}))
    ok(post(platform, "sales", f"{base}/work", {}, SALES))
    qualified = ok(post(platform, "sales", f"{base}/qualification", {}, SALES))
    assert (qualified["stream_id"], qualified["version"]) == (f"lead-{lead_id}", 4)

    items = timeline_when(platform, lead_id, 4)
    assert [i["type"] for i in items] == [
        "crm.sales.LeadCaptured.v1",
        "crm.sales.LeadAssigned.v1",
        "crm.sales.LeadWorkStarted.v1",
        "crm.sales.LeadQualified.v1",
    ]
    captured = items[0]
    assert captured["occurred_at"].startswith("2026-03-05T10:00:00")
    assert captured["data"]["person_name"] == "Ana Ruiz"  # sealed on the way, readable here
    assert captured["data"]["owner"] is None and items[1]["data"]["owner"] == "marta"


def test_a_lead_is_disqualified_for_a_listed_reason_and_recycled(platform) -> None:
    lead_id = capture(platform, owner="luis")
    base = f"/leads/{lead_id}"
    ok(
        post(
            platform,
            "sales",
            f"{base}/disqualification",
            {"reason": "No Budget", "note": "frozen until Q3"},
            SALES,
        )
    )
    ok(post(platform, "sales", f"{base}/recycling", {}, SALES))
    items = timeline_when(platform, lead_id, 3)
    assert [i["type"].split(".")[2] for i in items] == [
        "LeadCaptured",
        "LeadDisqualified",
        "LeadRecycled",
    ]
    disqualified = items[1]["data"]
    assert (disqualified["reason"], disqualified["note"]) == ("no budget", "frozen until Q3")


async def test_bad_values_get_422_and_illegal_moves_409_with_nothing_appended(platform) -> None:
    lead_id = capture(platform)
    base = f"/leads/{lead_id}"
    before = await count_events(platform, "sales")

    unknown = post(platform, "sales", "/leads", {"person_name": "X", "channel": "fax"}, SALES)
    assert unknown.status_code == 422
    assert [e["loc"] for e in unknown.json()["detail"]] == [["body", "channel"]]
    misspelt = {"person_name": "X", "channel": "web_form", "nots": "x"}
    unknown_field = post(platform, "sales", "/leads", misspelt, SALES)
    assert unknown_field.status_code == 422
    assert [e["loc"] for e in unknown_field.json()["detail"]] == [["body", "nots"]]
    reason = post(platform, "sales", f"{base}/disqualification", {"reason": "meh"}, SALES)
    assert reason.status_code == 422 and reason.json()["detail"][0]["loc"] == ["body", "reason"]
    assert "one of: too expensive" in reason.json()["detail"][0]["msg"]

    illegal = post(platform, "sales", f"{base}/qualification", {}, SALES)
    assert illegal.status_code == 409, illegal.text
    assert "is new: only a lead being worked is qualified" in illegal.json()["detail"][0]["msg"]
    assert post(platform, "sales", f"/leads/{uuid.uuid4()}/work", {}, SALES).status_code == 404
    forbidden = post(platform, "sales", f"{base}/work", {}, "sales:read")
    assert forbidden.status_code == 403
    assert await count_events(platform, "sales") == before


# --- the README's example, pasted ----------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def test_an_erased_lead_reads_as_erased_and_takes_no_more_commands(platform) -> None:
    lead_id = capture(platform, notes=f"Su hermana Rosalía {uuid.uuid4().hex[:6]}")
    base = f"/leads/{lead_id}"
    erasure = {"requested_by": "the data subject, ticket DPO-12", "reason": "GDPR art. 17"}
    ok(post(platform, "sales", f"{base}/erasure", erasure, SALES))
    items = timeline_when(platform, lead_id, 2)
    captured = next(i for i in items if i["type"] == "crm.sales.LeadCaptured.v1")
    assert captured["data"]["person_name"] == "[erased]", captured
    assert captured["data"]["notes"] == "[erased]" and captured["data"]["channel"] == "trade_fair"
    erased = next(i for i in items if i["type"] == "crm.sales.LeadErased.v1")
    assert erased["data"]["requested_by"] == erasure["requested_by"]  # the audit trail keeps it
    assert put(platform, f"{base}/owner", {"owner": "marta"}).status_code == 410
    assert post(platform, "sales", f"{base}/erasure", erasure, SALES).status_code == 410


def readme_block(heading: str) -> str:
    """The first bash block after `heading` in the README."""
    after = README.read_text(encoding="utf-8").split(f"{heading}\n", 1)[1]
    return after.split("```bash\n", 1)[1].split("```", 1)[0]


def run_readme(platform, headings: list[str], reads: int, show: str) -> tuple[str, str]:
    """The README's blocks under `headings` run in order as a user pastes them, with the
    "Try it" helpers and a token of the tests' issuer, but for the `reads` lines that query
    the read side (the test reads those once projected); what they printed, and `$show`."""
    helpers = [
        line
        for line in readme_block("## Try it").splitlines()
        if line.startswith(("AUTH=", "id()", "after()"))
    ]
    assert len(helpers) == 3, helpers
    value = issue_token(SECRET, "readme", list(ALL_SCOPES), timedelta(minutes=30))
    lines = [line for heading in headings for line in readme_block(heading).splitlines()]
    read_lines = [line for line in lines if "localhost:8105" in line]
    assert len(read_lines) == reads, read_lines
    kept = [line for line in lines if line not in read_lines]
    script = "\n".join([f"TOKEN={value}", *helpers, *kept, f'echo; echo "SHOW=${show}"'])
    ports = (("8101", "contacts"), ("8102", "sales"), ("8103", "campaigns"), ("8104", "support"),
             ("8105", "projections"))  # fmt: skip
    for port, service in ports:
        script = script.replace(f"localhost:{port}", platform.urls[service].removeprefix("http://"))
    # The producer's step: this platform's broker, and this interpreter (which has aiokafka,
    # while `python3 -m uv` needs uv installed for the python3 on PATH).
    script = script.replace("127.0.0.1:19092", platform.kafka_bootstrap)
    script = script.replace("python3 -m uv run python", sys.executable)
    ran = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert "Traceback" not in ran.stderr and "No module" not in ran.stderr, ran.stderr
    printed, shown = ran.stdout.rsplit("SHOW=", 1)
    return printed, shown.strip()


LEADS_BLOCK = "### The sales context: leads"


def test_the_readmes_leads_example_works_pasted_in_order(platform) -> None:
    # The timeline, the 360 view and the lead's score are read below, once projected.
    printed, lead_id = run_readme(platform, [LEADS_BLOCK], reads=3, show="LEAD")
    answers = list(json_objects(printed))  # curl prints each answer without a line break
    # Every command answered where its events landed, but the one the README shows refused.
    refusals = [a["detail"] for a in answers if "detail" in a]
    assert len(refusals) == 1, printed
    assert "is qualified: only a disqualified lead is recycled" in refusals[0][0]["msg"]
    # Printed: owner, work, qualification, disqualification, recycling, a lead like the first,
    # conversion, two team members, routing, score (the captures and the team's creation go
    # into variables).
    assert len([a for a in answers if "stream_id" in a]) == 11, printed
    routed = [a for a in answers if "owner" in a and "stream_id" in a]
    assert [a["owner"] for a in routed] == ["eva"]
    # The lead with the first one's phone is reported as its possible duplicate (ADR 28).
    [alike] = [a for a in answers if a.get("possible_duplicates")]
    assert alike["possible_duplicates"] == [
        {"other": "lead", "other_id": lead_id, "reason": "same_phone"}
    ]
    # The lead published to the ingest topic, captured under the id its sender's names.
    [ingested, *_] = timeline_when(platform, lead_id_for("webform", "form-4711"), 1)
    assert ingested["data"]["email"] == "pablo@ortega.example"
    types = [i["type"].split(".")[2] for i in timeline_when(platform, lead_id, 5)]
    assert types == [
        "LeadCaptured",
        "LeadAssigned",
        "LeadWorkStarted",
        "LeadQualified",
        "LeadConverted",
    ]
    view = view_when(platform, prospect_id_of(lead_id), lambda v: v["registration"] == "registered")
    assert view["profile"]["name"] == "Pablo Ortega" and view["sales"]["origin"]["id"] == lead_id


def json_objects(text: str):
    """The JSON values written one after another in `text`."""
    decoder, text, at = json.JSONDecoder(), text.strip(), 0
    while at < len(text):
        found, at = decoder.raw_decode(text, at)
        yield found
        while at < len(text) and text[at].isspace():
            at += 1


def qualified_lead(platform, **fields) -> str:
    lead_id = capture(platform, owner="marta", **fields)
    ok(post(platform, "sales", f"/leads/{lead_id}/work", {}, SALES))
    ok(post(platform, "sales", f"/leads/{lead_id}/qualification", {}, SALES))
    return lead_id


def test_a_converted_lead_becomes_a_customer_of_contacts_with_its_origin(platform) -> None:
    """Sales converts; contacts registers the person and the company from the event on Kafka
    (no call between them); the 360 view shows the customer registered, linked to its
    organisation, and the lead it came from. A repeated conversion changes nothing."""
    lead_id = qualified_lead(platform, campaign_id=str(uuid.uuid4()))
    answer = ok(post(platform, "sales", f"/leads/{lead_id}/conversion", {}, SALES))
    customer = prospect_id_of(lead_id)
    assert answer["customer_id"] == customer and len(answer["event_ids"]) == 1
    again = ok(post(platform, "sales", f"/leads/{lead_id}/conversion", {}, SALES))
    assert again["event_ids"] == []

    view = view_when(
        platform, customer, lambda v: v.get("registration") == "registered" and v["profile"]
    )
    assert view["profile"]["name"] == "Ana Ruiz"
    assert view["profile"]["owner"] == "marta"
    assert [o["id"] for o in view["profile"]["organisations"]] == [organisation_id_of(lead_id)]
    origin = view["sales"]["origin"]
    assert (origin["id"], origin["channel"]) == (lead_id, "trade_fair")
    company = view_when(platform, organisation_id_of(lead_id), lambda v: v.get("profile"))
    assert company["profile"]["name"] == "Lámparas Ruiz SL"
    # Closed: the customer is worked with now.
    refused = post(platform, "sales", f"/leads/{lead_id}/qualification", {}, SALES)
    assert refused.status_code == 409 and "converted into customer" in refused.text


def test_a_lead_found_to_be_a_customer_is_attached_to_them(platform) -> None:
    existing = ok(
        post(platform, "contacts", "/customers", {"name": "Ana Ruiz"}, "contacts:write"), 201
    )["customer_id"]
    lead_id = qualified_lead(platform, company_name=None)
    body = {"customer_id": existing}
    answer = ok(post(platform, "sales", f"/leads/{lead_id}/conversion", body, SALES))
    assert answer["customer_id"] == existing
    view = view_when(platform, existing, lambda v: v["sales"].get("origin"))
    assert view["sales"]["origin"]["id"] == lead_id
    items = timeline_of(platform, existing, "contacts", 2)
    assert [i["type"] for i in items][-1] == "crm.contacts.LeadAttached.v1"


def test_a_leads_score_explains_itself_and_keeps_the_reps_beside_it(platform) -> None:
    lead_id = capture(platform)
    ok(put(platform, f"/leads/{lead_id}/score", {"score": 80}))
    bad = put(platform, f"/leads/{lead_id}/score", {"score": 101})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "score"]
    url = f"{platform.urls['projections']}/leads/{lead_id}"
    deadline, found = time.monotonic() + TIMELINE_TIMEOUT_S, {}
    while time.monotonic() < deadline:
        response = httpx.get(url, headers=token("projections:read"))
        if response.status_code == 200 and (found := response.json())["score_override"] == 80:
            break
        time.sleep(0.1)
    assert found.get("score_override") == 80, found
    # trade fair 10 + e-mail 10 + company 5 + estimated value 5
    assert found["score"] == {
        "score": 30,
        "contributions": [
            {"points": 10, "why": "channel trade_fair"},
            {"points": 10, "why": "email given"},
            {"points": 5, "why": "company given"},
            {"points": 5, "why": "value given"},
        ],
    }
    assert "Ana" not in json.dumps(found)  # the read model keeps no personal value


async def test_leads_are_routed_round_robin_within_each_members_cap(platform) -> None:
    team = ok(post(platform, "sales", "/teams", {"name": "Iberia"}, SALES), 201)["team_id"]
    for member in ("ana", "luis"):
        body = {"member": f"{member}-{team[:6]}", "cap": 1}
        ok(post(platform, "sales", f"/teams/{team}/members", body, SALES))
    leads = [capture(platform) for _ in range(3)]
    owners = []
    for lead_id in leads[:2]:
        answer = post(platform, "sales", f"/leads/{lead_id}/routing", {"team_id": team}, SALES)
        owners.append(ok(answer)["owner"])
        # The caps count open leads from the lead book, fed from sales' events on Kafka.
        await wait_for(
            lambda: group_caught_up(platform.kafka_bootstrap, LEAD_BOOK, (topic_for("sales"),)),
            20,
            "the lead book caught up",
        )
    assert owners == [f"ana-{team[:6]}", f"luis-{team[:6]}"]
    full = post(platform, "sales", f"/leads/{leads[2]}/routing", {"team_id": team}, SALES)
    assert full.status_code == 409 and "every member is away or at their cap" in full.text
    # Disqualifying a lead frees its owner's place.
    reason = {"reason": "no budget"}
    ok(post(platform, "sales", f"/leads/{leads[0]}/disqualification", reason, SALES))
    await wait_for(
        lambda: group_caught_up(platform.kafka_bootstrap, LEAD_BOOK, (topic_for("sales"),)),
        20,
        "the lead book caught up",
    )
    answer = post(platform, "sales", f"/leads/{leads[2]}/routing", {"team_id": team}, SALES)
    assert ok(answer)["owner"] == f"ana-{team[:6]}"
    away = patch(platform, f"/teams/{team}/members/ana-{team[:6]}", {"available": False})
    assert ok(away)["event_ids"]
