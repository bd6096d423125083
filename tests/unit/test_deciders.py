"""Given events / when command / then events (or a refusal), for each context's decider."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from crm_campaigns.domain.response import RecordResponse, response_decider
from crm_campaigns_contracts.events import CampaignResponseRecorded, Channel, ResponseKind
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
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.domain.events import DomainEvent
from crm_sales.domain.order import PlaceOrder, order_decider
from crm_sales_contracts.events import OrderLine, OrderPlaced
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


PLACE = PlaceOrder(
    order_id="o1",
    customer_id="c1",
    currency="EUR",
    lines=(
        OrderLine(sku="A", quantity=2, unit_price=Decimal("10.50")),
        OrderLine(sku="B", quantity=1, unit_price=Decimal("3.00")),
    ),
)


def test_placing_an_order_totals_its_lines() -> None:
    [event] = then(order_decider, [], PLACE)
    assert isinstance(event, OrderPlaced)
    assert event.total == Decimal("24.00")
    assert event.customer_key() == "c1"


def test_an_order_without_lines_is_refused() -> None:
    with pytest.raises(DomainError, match="at least one line") as refused:
        then(order_decider, [], PLACE.model_copy(update={"lines": ()}))
    assert refused.value.field == "lines"


def test_placing_the_same_order_twice_is_refused() -> None:
    with pytest.raises(ConflictError):
        then(order_decider, then(order_decider, [], PLACE), PLACE)


RESPONSE = RecordResponse(
    campaign_id="k1",
    customer_id="c1",
    response=ResponseKind.CLICKED,
    channel=Channel.EMAIL,
    responded_at=datetime(2026, 1, 5, 10, tzinfo=UTC),
)


def test_a_campaign_response_is_recorded_once() -> None:
    given = then(response_decider, [], RESPONSE)
    assert [type(e) for e in given] == [CampaignResponseRecorded]
    assert then(response_decider, given, RESPONSE) == []


def test_a_later_response_of_the_same_kind_is_a_new_fact() -> None:
    given = then(response_decider, [], RESPONSE)
    later = RESPONSE.model_copy(update={"responded_at": datetime(2026, 1, 6, tzinfo=UTC)})
    assert len(then(response_decider, given, later)) == 1


OPEN = OpenCase(
    case_id="s1",
    customer_id="c1",
    kind=CaseKind.COMPLAINT,
    priority=Priority.HIGH,
    channel="phone",
    subject="Broken item",
    description="Ana says the lamp arrived broken",
)


def test_opening_a_case_records_it_and_not_twice() -> None:
    given = then(case_decider, [], OPEN)
    assert [type(e) for e in given] == [CaseOpened]
    with pytest.raises(ConflictError):
        then(case_decider, given, OPEN)
