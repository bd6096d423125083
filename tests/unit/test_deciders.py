"""Given events / when command / then events (or a refusal), for the contacts and support
deciders (sales' and campaigns' are in tests/unit/sales and tests/unit/campaigns)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from crm_contacts.domain.customer import RegisterCustomer, customer_decider
from crm_contacts_contracts.events import (
    ContactPointAdded,
    ContactPointKind,
    CustomerRegistered,
    CustomerType,
    PartyKind,
    PrimaryContactPointSet,
)
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.errors import ConflictError
from crm_kernel.domain.events import DomainEvent
from crm_support.domain.case import OpenCase, case_decider
from crm_support_contracts.events import CaseKind, CaseOpened, Priority


def then(decider: Decider, given: list[DomainEvent], command: object) -> list[DomainEvent]:
    return decider.decide(decider.fold(given), command)


REGISTER = RegisterCustomer(
    customer_id="c1",
    kind=PartyKind.PERSON,
    customer_type=CustomerType.CONSUMER,
    name="Ana García",
    email="ana@example.com",
)


def test_registering_a_new_customer_records_it_with_its_contact_points() -> None:
    assert then(customer_decider, [], REGISTER) == [
        CustomerRegistered(
            customer_id="c1",
            kind=PartyKind.PERSON,
            customer_type=CustomerType.CONSUMER,
            name="Ana García",
        ),
        ContactPointAdded(
            customer_id="c1",
            point_id="registration-email",
            kind=ContactPointKind.EMAIL,
            value="ana@example.com",
        ),
        PrimaryContactPointSet(
            customer_id="c1", point_id="registration-email", kind=ContactPointKind.EMAIL
        ),
    ]


def test_registering_a_customer_twice_is_refused() -> None:
    given = then(customer_decider, [], REGISTER)
    with pytest.raises(ConflictError, match="already registered"):
        then(customer_decider, given, REGISTER)


OPEN = OpenCase(
    case_id="s1",
    customer_id="c1",
    kind=CaseKind.COMPLAINT,
    priority=Priority.HIGH,
    channel="phone",
    subject="Broken item",
    description="Ana says the lamp arrived broken",
    at=datetime(2026, 3, 2, 9, tzinfo=UTC),
)


def test_opening_a_case_records_it_and_not_twice() -> None:
    given = then(case_decider, [], OPEN)
    assert [type(e) for e in given] == [CaseOpened]
    with pytest.raises(ConflictError):
        then(case_decider, given, OPEN)
