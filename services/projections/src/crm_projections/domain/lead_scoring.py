"""Lead scores that explain themselves (ADR 31): pure functions of a lead, what the customer id
it will have did, the business's won/lost history and the time the score is read at.

- **Rules**: points per attribute (channel, completeness of contact data) and per behaviour
  (a campaign click or reply, an inbound or answered interaction), minus a decay for every
  30 days without activity; 0-100, each contribution named ("+15 channel referral").
- **Learned**: the probability of winning by naive Bayes over the frequencies of the lead's
  values among won (converted) and lost (disqualified) leads, as Odoo's predictive lead
  scoring does: +0.1 smoothing on every frequency, clamped to [0.01, 99.99] %; each variable's
  likelihood ratio named. None until there is both won and lost history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from crm_campaigns_contracts.events import CampaignResponseRecorded, ResponseKind
from crm_contacts_contracts.events import Direction, InteractionAnswered, InteractionLogged
from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.predictive import naive_bayes
from crm_projections.domain.wire_values import latest, occurred

Lead = dict[str, Any]
Contribution = dict[str, Any]

CHANNEL_POINTS = {
    "referral": 15,
    "partner": 10,
    "trade_fair": 10,
    "web_form": 5,
    "campaign": 5,
    "email": 5,
    "phone": 5,
    "social": 3,
    "other": 0,
}
GIVEN_POINTS = {"email": 10, "phone": 10, "company": 5, "interest": 5, "value": 5}
# (points each, at most this many counted)
BEHAVIOUR_POINTS = {
    "campaign click": (5, 3),
    "campaign reply": (10, 2),
    "inbound interaction": (10, 2),
    "answered interaction": (10, 2),
}
DECAY_POINTS, DECAY_DAYS, MAX_DECAY = 5, 30, 30


def behaviours(envelopes: Iterable[EventEnvelope]) -> tuple[dict[str, int], str | None]:
    """What the customer id did, counted by kind, and when it last did anything."""
    counts: dict[str, int] = {}
    last: str | None = None
    for envelope in envelopes:
        kind = _behaviour(envelope)
        if kind is not None:
            counts[kind] = counts.get(kind, 0) + 1
            last = latest(last, occurred(envelope))
    return counts, last


def _behaviour(envelope: EventEnvelope) -> str | None:
    if envelope.type == CampaignResponseRecorded.event_type:
        response = envelope.data["response"]
        return {ResponseKind.CLICKED: "campaign click", ResponseKind.REPLIED: "campaign reply"}.get(
            ResponseKind(response)
        )
    if envelope.type == InteractionLogged.event_type:
        inbound = envelope.data["direction"] == Direction.INBOUND
        return "inbound interaction" if inbound else None
    if envelope.type == InteractionAnswered.event_type:
        return "answered interaction"
    return None


def _named(points: int, why: str) -> Contribution:
    return {"points": points, "why": why}


def rule_score(lead: Lead, done: dict[str, int], last_done: str | None, at: str) -> dict[str, Any]:
    """The rules' score at `at` (ISO time), with every contribution."""
    found = [_named(CHANNEL_POINTS.get(lead["channel"], 0), f"channel {lead['channel']}")]
    found += [_named(GIVEN_POINTS[g], f"{g} given") for g in lead["given"] if g in GIVEN_POINTS]
    for kind, count in sorted(done.items()):
        each, most = BEHAVIOUR_POINTS[kind]
        counted = min(count, most)
        found.append(_named(each * counted, f"{counted} {kind}{'s' if counted > 1 else ''}"))
    quiet_since = latest(lead["last_activity_at"], last_done)
    if quiet_since is not None:
        idle_days = (datetime.fromisoformat(at) - datetime.fromisoformat(quiet_since)).days
        periods = max(idle_days, 0) // DECAY_DAYS
        if periods:
            decay = -min(periods * DECAY_POINTS, MAX_DECAY)
            found.append(_named(decay, f"no activity for {periods * DECAY_DAYS} days"))
    found = [c for c in found if c["points"]]
    total = max(0, min(100, sum(c["points"] for c in found)))
    return {"score": total, "contributions": sorted(found, key=lambda c: -abs(c["points"]))}


def variables(lead: Lead) -> dict[str, str]:
    """The values the learned score compares: Odoo's defaults (email and phone given) and the
    channel, company and campaign."""
    return {
        "channel": str(lead["channel"]),
        "email": "given" if "email" in lead["given"] else "missing",
        "phone": "given" if "phone" in lead["given"] else "missing",
        "company": "given" if "company" in lead["given"] else "missing",
        "campaign": "yes" if lead["campaign_id"] else "no",
    }


def learned_probability(lead: Lead, history: Iterable[Lead]) -> dict[str, Any] | None:
    """P(won) for `lead` from the other leads that were won or lost; None without both."""
    return naive_bayes(lead, history, variables)
