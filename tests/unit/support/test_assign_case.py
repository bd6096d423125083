"""Assigning a support case (the worked example of docs/adding-a-command.md): given events /
when command / then events, and what the 360 view's support section makes of it."""

from __future__ import annotations

import pytest
from crm_kernel.domain.errors import NotFoundError
from crm_projections.domain.customer_360 import empty, fold
from crm_support.domain.case import AssignCase, case_decider
from crm_support_contracts.events import CaseAssigned, CaseKind, CaseOpened, Priority

from tests.unit.projections.test_customer_360 import CUSTOMER, T0, envelopes

OPENED = CaseOpened(
    case_id="s1",
    customer_id=CUSTOMER,
    kind=CaseKind.QUESTION,
    priority=Priority.NORMAL,
    channel="email",
    subject="Where is my order?",
    description="private",
)


def test_an_open_case_is_assigned_to_the_agent_named() -> None:
    state = case_decider.fold([OPENED])
    assert case_decider.decide(state, AssignCase(case_id="s1", assignee="marta")) == [
        CaseAssigned(case_id="s1", customer_id=CUSTOMER, assignee="marta")
    ]


def test_assigning_to_the_same_agent_again_records_nothing_and_another_hands_it_over() -> None:
    state = case_decider.fold(
        [OPENED, CaseAssigned(case_id="s1", customer_id=CUSTOMER, assignee="marta")]
    )
    assert case_decider.decide(state, AssignCase(case_id="s1", assignee="marta")) == []
    assert case_decider.decide(state, AssignCase(case_id="s1", assignee="team-returns")) == [
        CaseAssigned(case_id="s1", customer_id=CUSTOMER, assignee="team-returns")
    ]


def test_a_case_never_opened_cannot_be_assigned() -> None:
    with pytest.raises(NotFoundError, match="open it first"):
        case_decider.decide(case_decider.fold([]), AssignCase(case_id="s9", assignee="marta"))


def test_the_360_view_shows_who_works_each_case() -> None:
    history = envelopes(
        "case-s1",
        "crm.support",
        [OPENED, CaseAssigned(case_id="s1", customer_id=CUSTOMER, assignee="marta")],
        T0,
    )
    doc = fold(empty(CUSTOMER), history)
    assert doc["support"]["cases"][0]["assignee"] == "marta"
    assert doc["support"]["open_cases"] == 1
