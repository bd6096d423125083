"""Campaigns over the whole platform (issue 15; ADR 52): customers tagged for a campaign, one of
them without a marketing opt-in for e-mail, one suppressed; the campaign with a budget and an
audience by tag previews, then launches with the member resolved and the others left out with
their reasons; costs in its currency; illegal steps are 409s."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.e2e.test_leads import json_objects, ok, run_readme
from tests.e2e.test_pipeline import read_when
from tests.e2e.test_walking_skeleton import post, register, token

CAMPAIGNS = "campaigns:write"


def test_a_campaign_launches_to_its_consenting_audience_and_takes_costs(platform) -> None:
    tag = f"winter-{uuid.uuid4().hex[:6]}"
    people = [register(platform, name=name, email=f"{uuid.uuid4().hex[:8]}@c.example")
              for name in ("Aina Puig", "Biel Roca", "Carla Soler")]  # fmt: skip
    for person in people:
        ok(httpx.put(f"{platform.urls['contacts']}/customers/{person}/tags/{tag}",
                     headers=token("contacts:write"), timeout=10))  # fmt: skip
    for person in (people[0], people[2]):
        ok(post(platform, "contacts", f"/customers/{person}/consents",
                {"channel": "email", "purpose": "marketing", "status": "opt_in",
                 "source": "web-form"}, "contacts:write"))  # fmt: skip
    ok(httpx.put(f"{platform.urls['campaigns']}/suppressions/{people[2]}",
                 json={"suppressed": True}, headers=token(CAMPAIGNS), timeout=10))  # fmt: skip
    campaign = ok(post(platform, "campaigns", "/campaigns",
                       {"name": "Winter lamps", "channel": "email", "currency": "EUR",
                        "budget": "500.00", "expected_revenue": "2000.00"}, CAMPAIGNS),
                  201)["campaign_id"]  # fmt: skip
    early = post(platform, "campaigns", f"/campaigns/{campaign}/launch", {}, CAMPAIGNS)
    assert early.status_code == 409 and "has no audience" in early.text
    ok(httpx.put(f"{platform.urls['campaigns']}/campaigns/{campaign}/audience",
                 json={"rules": {"tags": [tag]}}, headers=token(CAMPAIGNS), timeout=10))  # fmt: skip
    wanted = {"members": 1, "excluded": {"no_consent": 1, "suppressed": 1}}
    deadline = time.monotonic() + 30
    while True:  # until campaigns learnt the tags, the consents and the suppression
        preview = httpx.get(f"{platform.urls['campaigns']}/campaigns/{campaign}/audience",
                            headers=token(CAMPAIGNS), timeout=10).json()  # fmt: skip
        if preview == wanted:
            break
        assert time.monotonic() < deadline, preview
        time.sleep(0.3)
    launched = ok(post(platform, "campaigns", f"/campaigns/{campaign}/launch", {}, CAMPAIGNS))
    assert (launched["members"], launched["excluded"]) == (1, wanted["excluded"])
    again = ok(post(platform, "campaigns", f"/campaigns/{campaign}/launch", {}, CAMPAIGNS))
    assert again["event_ids"] == []  # launched already: nothing recorded, nothing resolved again
    assert (again["members"], again["excluded"]) == (1, wanted["excluded"])  # as recorded
    cost = {"amount": "120.00", "currency": "EUR", "category": "media"}
    ok(post(platform, "campaigns", f"/campaigns/{campaign}/costs", cost, CAMPAIGNS))
    wrong = post(platform, "campaigns", f"/campaigns/{campaign}/costs",
                 {**cost, "currency": "USD"}, CAMPAIGNS)  # fmt: skip
    assert wrong.status_code == 422 and "counts in EUR" in wrong.text
    results = read_when(platform, f"/campaigns/{campaign}/results",
                        lambda r: r["cost"] == "120.00")  # fmt: skip
    assert (results["status"], results["budget"], results["budget_left"]) == (
        "active", "500.00", "380.00",
    )  # fmt: skip
    assert results["audience"] == {"members": 1, "excluded": {"no_consent": 1, "suppressed": 1}}
    changed = httpx.put(f"{platform.urls['campaigns']}/campaigns/{campaign}/audience",
                        json={"rules": {}}, headers=token(CAMPAIGNS), timeout=10)  # fmt: skip
    assert changed.status_code == 409 and "it was launched" in changed.text


def test_the_readmes_campaigns_example_works_pasted_in_order(platform) -> None:
    printed, campaign = run_readme(
        platform, ["### The campaigns context: audiences that respect consent"], reads=1,
        show="CAMPAIGN",
    )  # fmt: skip
    answers = list(json_objects(printed))
    assert {"members": 1, "excluded": {"no_consent": 1}} in answers
    [launched] = [a for a in answers if "members" in a and "event_ids" in a]
    assert launched["members"] == 1 and launched["stream_id"] == f"marketing-campaign-{campaign}"
    assert not [a for a in answers if "detail" in a], printed  # nothing refused
