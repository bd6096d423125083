"""What the case book learns from case events (ADR 49): who holds each case and whether it
counts against their capacity. A resolved case no longer counts (it waits for its auto-close),
a reopened one counts again."""

from __future__ import annotations

from crm_kernel.domain.work_book import WorkBookRules
from crm_support_contracts.events import (
    CaseAssigned,
    CaseClosed,
    CaseMarkedDuplicate,
    CaseOpened,
    CaseRejected,
    CaseReopened,
    CaseResolved,
)

CASE_BOOK = WorkBookRules(
    id_field="case_id",
    opening=frozenset({CaseOpened.event_type}),
    owner_from={CaseAssigned.event_type: "assignee"},
    reopening=frozenset({CaseReopened.event_type}),
    closing=frozenset(
        e.event_type for e in (CaseResolved, CaseClosed, CaseRejected, CaseMarkedDuplicate)
    ),
)
