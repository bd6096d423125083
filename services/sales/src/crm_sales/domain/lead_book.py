"""What the lead book learns from lead events (ADR 32): who owns each lead and whether it is
open; a closed lead no longer counts against its owner's cap."""

from __future__ import annotations

from crm_kernel.domain.work_book import WorkBookRules
from crm_sales_contracts.events import (
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadErased,
    LeadRecycled,
)

LEAD_BOOK = WorkBookRules(
    id_field="lead_id",
    opening=frozenset({LeadCaptured.event_type}),
    owner_from={LeadAssigned.event_type: "owner"},
    reopening=frozenset({LeadRecycled.event_type}),
    closing=frozenset(e.event_type for e in (LeadDisqualified, LeadConverted, LeadErased)),
)
entry_of = LEAD_BOOK.entry_of
