"""The sales journey over the whole platform (issue 12; ADR 28-30): a lead from the ingest
topic is qualified and converted with an opportunity, contacts registers the customer from the event, the deal goes
through its stages and is won; the pipeline, forecast and win rate answer the figures
computed by hand, now and as they stood before the win. Bad input is a 422 naming the field,
an illegal move a 409 naming the rule, and neither appends anything."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import httpx
from crm_sales.domain.lead import lead_id_for, opportunity_id_of, prospect_id_of

from tests.e2e.test_lead_ingest import send
from tests.e2e.test_leads import (
    LEADS_BLOCK,
    SALES,
    json_objects,
    ok,
    put,
    run_readme,
    timeline_when,
)
from tests.e2e.test_walking_skeleton import count_events, post, token, view_when

READ_TIMEOUT_S = 20


def get(platform, path: str, **params) -> httpx.Response:
    return httpx.get(
        f"{platform.urls['projections']}{path}",
        params=params,
        headers=token("projections:read"),
        timeout=10,
    )


def read_when(platform, path: str, ready, **params) -> dict:
    """Poll a projections query until `ready(answer)` holds (bounded)."""
    deadline, last = time.monotonic() + READ_TIMEOUT_S, None
    while time.monotonic() < deadline:
        response = get(platform, path, **params)
        if response.status_code == 200:
            last = response.json()
            if ready(last):
                return last
        time.sleep(0.1)
    raise AssertionError(f"{path} {params} never ready: {last}")


def deal_path(deal: str, step: str) -> str:
    return f"/opportunities/{deal}/{step}"


async def test_a_lead_from_the_ingest_topic_becomes_a_won_deal_and_the_figures_follow(
    platform,
) -> None:
    """The lead comes as a web form's message on `crm.sales.leads.ingest`."""
    rep = f"rep-{uuid.uuid4().hex[:8]}"  # the figures below are this rep's deals only
    external = uuid.uuid4().hex
    form = {
        "source": "webform",
        "external_id": external,
        "person_name": "Ana Ruiz",
        "company_name": "Ruiz Interiores SL",
        "email": f"ana.{external[:6]}@ruiz.example",
        "channel": "web_form",
        "estimated_value": "1000.00",
        "currency": "EUR",
        "owner": rep,
    }
    await send(platform.kafka_bootstrap, external, form)
    lead_id = lead_id_for("webform", external)
    await asyncio.to_thread(timeline_when, platform, lead_id, 1)
    await asyncio.to_thread(journey, platform, lead_id, rep)


def journey(platform, lead_id: str, rep: str) -> None:
    """Qualified, converted with a deal, a second deal, stages, won: the figures by hand."""
    for step in ("work", "qualification"):
        ok(post(platform, "sales", f"/leads/{lead_id}/{step}", {}, SALES))
    conversion = {
        "opportunity": {
            "name": "40 desk lamps",
            "expected_close": "2026-03-20",
            "team": "iberia",
            "stage": "proposal",
        }
    }
    answer = ok(post(platform, "sales", f"/leads/{lead_id}/conversion", conversion, SALES))
    deal, customer = opportunity_id_of(lead_id), prospect_id_of(lead_id)
    assert answer["opportunity_id"] == deal and len(answer["event_ids"]) == 2
    again = ok(post(platform, "sales", f"/leads/{lead_id}/conversion", conversion, SALES))
    assert again["event_ids"] == []  # a retry opens nothing twice

    # A second deal of the rep, opened directly: 500 at 20 % closing in Q1.
    other = ok(
        post(
            platform,
            "sales",
            "/opportunities",
            {
                "customer_id": customer,
                "name": "Lamp bulbs",
                "owner": rep,
                "amount": "500.00",
                "currency": "EUR",
                "expected_close": "2026-03-31",
                "stage": "qualification",
            },
            SALES,
        ),
        201,
    )["opportunity_id"]

    view = view_when(
        platform,
        customer,
        lambda v: v["registration"] == "registered" and len(v["sales"]["opportunities"]) == 2,
    )
    assert view["sales"]["open_pipeline"] == {"EUR": "600.00"}  # 1000 x 50 % + 500 x 20 %
    assert view["sales"]["origin"]["id"] == lead_id

    ok(put(platform, deal_path(deal, "stage"), {"stage": "negotiation"}))
    ok(put(platform, deal_path(deal, "amount"), {"amount": "1200.00", "currency": "EUR"}))
    before_win = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    ok(post(platform, "sales", deal_path(deal, "won"), {}, SALES))

    q1 = {"start": "2026-01-01", "end": "2026-04-01", "owner": rep}
    # The win is booked when it happened (today); the other deal closes in Q1.
    this_year = {"start": f"{datetime.now(UTC).year}-01-01", "end": "2027-01-01", "owner": rep}
    found = read_when(
        platform,
        "/opportunities",
        lambda a: (
            [d["status"] for d in a["items"]] == sorted(["won", "open"], key=lambda s: s)
            or {d["status"] for d in a["items"]} == {"won", "open"}
        ),
        owner=rep,
    )
    names = {d["opportunity_id"]: d["name"] for d in found["items"]}
    assert names == {deal: "40 desk lamps", other: "Lamp bulbs"}

    rate = ok(get(platform, "/pipeline/win-rate", **this_year))
    assert rate["total"]["won"] == 1 and rate["total"]["win_rate"] == 1.0
    assert rate["total"]["won_amount"] == {"EUR": "1200.00"}
    forecast = ok(get(platform, "/pipeline/forecast", **q1))["total"]["EUR"]
    # Open in Q1: 500 at 20 %: weighted 100.00, deviation sqrt(500^2 x .2 x .8) = 200.00.
    assert (forecast["weighted_pipeline"], forecast["standard_deviation"]) == ("100.00", "200.00")
    report = ok(get(platform, "/pipeline", owner=rep))
    assert report["totals"] == [
        {"currency": "EUR", "count": 1, "amount": "500.00", "weighted_amount": "100.00"}
    ]
    # As it stood before the win: both open, 1200 at 80 % in negotiation and 500 at 20 %.
    then = ok(get(platform, "/pipeline", owner=rep, as_of=before_win))
    assert then["totals"] == [
        {"currency": "EUR", "count": 2, "amount": "1700.00", "weighted_amount": "1060.00"}
    ]
    assert {r["stage"] for r in then["rows"]} == {"negotiation", "qualification"}
    history = ok(get(platform, f"/opportunities/{deal}"))
    assert [s["stage"] for s in history["stages"]] == ["proposal", "negotiation"]
    assert all({"occurred_at", "recorded_at"} <= set(e) for e in history["history"])


async def test_bad_input_and_illegal_moves_change_nothing(platform) -> None:
    customer = str(uuid.uuid4())
    body = {
        "customer_id": customer,
        "name": "Lamps",
        "owner": "marta",
        "amount": "100.00",
        "currency": "EUR",
        "expected_close": "2026-06-30",
    }
    deal = ok(post(platform, "sales", "/opportunities", body, SALES), 201)["opportunity_id"]
    before = await count_events(platform, "sales")
    refused = [
        (post(platform, "sales", "/opportunities", body | {"probability": 101}, SALES), 422),
        (post(platform, "sales", "/opportunities", body | {"stage": "won"}, SALES), 422),
        (post(platform, "sales", "/opportunities", body | {"colour": "red"}, SALES), 422),
        (put(platform, deal_path(deal, "stage"), {"stage": "closing"}), 422),
        (post(platform, "sales", deal_path(deal, "lost"), {}, SALES), 422),
        (post(platform, "sales", deal_path(deal, "lost"), {"reason": "bad vibes"}, SALES), 422),
        (post(platform, "sales", deal_path(deal, "reopening"), {}, SALES), 409),
        (put(platform, deal_path(str(uuid.uuid4()), "stage"), {"stage": "proposal"}), 404),
    ]
    for response, status in refused:
        assert response.status_code == status, response.text
    messages = [r.json()["detail"][0]["msg"] for r, _ in refused]
    assert "won is no stage" in messages[1] and "has no stage closing" in messages[3]
    assert "a lost deal needs a reason, one of: too expensive" in messages[5]
    assert "only a won or lost deal is reopened" in messages[6]
    ok(post(platform, "sales", deal_path(deal, "lost"), {"reason": "no budget"}, SALES))
    terminal = put(platform, deal_path(deal, "stage"), {"stage": "negotiation"})
    assert terminal.status_code == 409 and "won and lost are terminal" in terminal.text
    assert await count_events(platform, "sales") == before + 1  # the one loss, nothing else


def test_the_readmes_pipeline_example_works_pasted_in_order(platform) -> None:
    """The leads block, then the opportunities block; the figures its comments give."""
    printed, deal = run_readme(
        platform,
        [LEADS_BLOCK, "### The sales context: opportunities, the pipeline, the forecast"],
        reads=7,
        show="DEAL",
    )
    refusals = [a["detail"][0]["msg"] for a in json_objects(printed) if "detail" in a]
    assert len(refusals) == 2, printed  # the leads block's one, and the won deal's stage
    assert "won and lost are terminal" in refusals[1]
    q3 = {"start": "2026-07-01", "end": "2026-10-01", "owner": "rocio"}
    forecast = read_when(
        platform,
        "/pipeline/forecast",
        lambda a: (
            a["total"].get("EUR", {}).get("booked") == "2400.00"
            and a["total"]["EUR"]["weighted_pipeline"] == "500.00"
        ),
        **q3,
    )["total"]["EUR"]
    assert (forecast["forecast"], forecast["standard_deviation"]) == ("2900.00", "500.00")
    assert (forecast["low"], forecast["high"]) == ("2400.00", "3400.00")
    year = {"start": "2026-01-01", "end": "2027-01-01", "owner": "rocio"}
    rate = read_when(platform, "/pipeline/win-rate", lambda a: a["total"]["lost"] == 1, **year)
    assert (rate["total"]["win_rate"], rate["total"]["average_sales_cycle_days"]) == (0.5, 67.1)
    assert rate["lost_by_reason"] == [{"reason": "too expensive", "lost": 1}]
    then = ok(
        get(platform, "/pipeline", owner="rocio", as_of="2026-07-01T00:00:00Z", basis="occurred")
    )
    assert then["totals"] == [
        {"currency": "EUR", "count": 3, "amount": "3700.00", "weighted_amount": "2690.00"}
    ]
    negotiation = next(r for r in then["rows"] if r["stage"] == "negotiation")
    assert negotiation["average_days_in_stage"] == 15.6  # since 15 June, 09:00
    recorded = ok(get(platform, "/pipeline", owner="rocio", as_of="2026-07-01T00:00:00Z"))
    assert recorded["totals"] == []  # nothing of it was recorded by then
    assert ok(get(platform, f"/opportunities/{deal}"))["status"] == "won"
