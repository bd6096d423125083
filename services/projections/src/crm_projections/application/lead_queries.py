"""Leads as salespeople read them: each with its rules score, its learned probability and the
rep's override side by side, every one explained (domain.lead_scoring). What the customer id
did comes from the timeline, the won/lost history from the leads read model; the score is
computed when read, so its decay follows the clock without a fold reading it."""

from __future__ import annotations

from typing import Any

from crm_projections.application.pipeline_queries import DealDocuments, TooManyToRead
from crm_projections.application.ports import TimelineReader
from crm_projections.domain import lead_scoring

Document = dict[str, Any]
MAX_LEADS = 50_000
MAX_BEHAVIOURS = 10_000  # timeline entries read for one page of leads
BEHAVIOUR_CONTEXTS = ["contacts", "campaigns"]
SHOWN = (
    "lead_id",
    "customer_id",
    "status",
    "outcome",
    "channel",
    "campaign_id",
    "given",
    "owner",
    "captured_at",
    "last_activity_at",
    "disqualification_reason",
    "converted_into",
)


LeadDocuments = DealDocuments  # a read model found by query, as the deals are


async def every_lead(store: LeadDocuments) -> list[Document]:
    docs = await store.find({}, sort=[("_id", 1)], limit=MAX_LEADS + 1)
    if len(docs) > MAX_LEADS:
        raise TooManyToRead(f"more than {MAX_LEADS} leads: narrow the query")
    return [d for d in docs if d["status"] is not None and not d["erased"]]


async def scored(
    leads: list[Document], history: list[Document], timeline: TimelineReader, at: str
) -> list[Document]:
    """`leads` with their scores at `at`; `history`: every lead, for the learned part."""
    ids = [lead["customer_id"] for lead in leads]
    entries = await timeline.page(
        ids, contexts=BEHAVIOUR_CONTEXTS, since=None, until=None, after=None, limit=MAX_BEHAVIOURS
    )
    by_customer: dict[str, list[Any]] = {}
    for envelope, _ in entries:
        by_customer.setdefault(envelope.customer_id or "", []).append(envelope)
    answer = []
    for lead in leads:
        done, last_done = lead_scoring.behaviours(by_customer.get(lead["customer_id"], []))
        answer.append(
            {k: lead[k] for k in SHOWN}
            | {
                "score": lead_scoring.rule_score(lead, done, last_done, at),
                "learned": lead_scoring.learned_probability(lead, history),
                "score_override": lead["score_override"],
            }
        )
    return answer
