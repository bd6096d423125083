"""Projections fold typed events: the wire decoder's typed event travels with the envelope,
folds are keyed by the contract's class, and no event-type name is spelled in projections."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from crm_contacts_contracts.events import CustomerMerged, CustomerRenamed
from crm_kernel import wire
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.events import REGISTRY, DomainEvent
from crm_projections.domain import activities, customer_360
from crm_projections.domain.customer_360.document import SECTIONS
from crm_projections.domain.folds import Document, Folds, is_event
from crm_projections.domain.wire_values import json_decimal, json_time
from crm_sales_contracts.events import OrderLine, OrderPlaced
from pydantic import TypeAdapter

SOURCE = Path(__file__).resolve().parents[3] / "services/projections/src/crm_projections"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
# How pydantic spells values on the wire: what the read models must store.
DATETIME, DECIMAL = TypeAdapter(datetime), TypeAdapter(Decimal)


def one(event: DomainEvent, stream: str = "customer-c1") -> EventEnvelope:
    [envelope] = wrap(
        [event],
        source="crm.test",
        stream_id=stream,
        expected_version=0,
        metadata=Metadata(actor="t"),
        now=T0,
    )
    return envelope


def renamed(name: str = "Ana") -> EventEnvelope:
    return one(CustomerRenamed(customer_id="c1", name=name))


def test_the_decoder_hands_on_the_event_it_validated() -> None:
    original = renamed()
    message = wire.encode(original)
    decoded = wire.decode(message.headers, message.value)
    assert decoded.event() is decoded.event()  # validated once, in the decoder
    assert decoded.event() == CustomerRenamed(customer_id="c1", name="Ana")
    assert decoded == original  # the typed event is no field: equality is the fields'
    assert "_typed_event" not in decoded.model_dump()


def test_a_copy_with_other_data_validates_its_own_event() -> None:
    original = renamed("Ana")
    assert original.event().name == "Ana"
    opened = original.model_copy(update={"data": {**original.data, "name": "Eva"}})
    assert opened.event().name == "Eva"
    assert original.event().name == "Ana"


def test_a_fold_gets_its_event_typed() -> None:
    seen: list[CustomerRenamed] = []
    folds = Folds()

    @folds.on(CustomerRenamed)
    def _renamed(doc: Document, event: CustomerRenamed, envelope: EventEnvelope) -> None:
        seen.append(event)

    folds.apply({}, renamed())
    folds.apply({}, one(CustomerMerged(customer_id="c1", survivor_id="c2")))  # no fold: skipped
    assert seen == [CustomerRenamed(customer_id="c1", name="Ana")]


def test_an_event_without_a_fold_is_not_validated_again() -> None:
    broken = renamed().model_copy(update={"data": {"not": "a CustomerRenamed"}})
    Folds().apply({}, broken)  # nothing folds it, so nothing reads it
    assert Folds().event_for(broken) is None


def test_an_event_class_has_one_fold() -> None:
    folds = Folds()
    folds.on(CustomerRenamed)(lambda doc, event, envelope: None)
    with pytest.raises(TypeError, match="CustomerRenamed has a fold already"):
        folds.on(CustomerRenamed)(lambda doc, event, envelope: None)
    with pytest.raises(TypeError, match="has a fold already"):
        Folds.union(folds, folds)


def test_every_customer_360_fold_is_for_a_registered_contract() -> None:
    classes = customer_360.FOLDS.event_classes
    assert classes and all(REGISTRY.get(c.event_type) is c for c in classes)
    by_section = [c for section in SECTIONS for c in section.folds.event_classes]
    assert len(by_section) == len(set(by_section))  # each class folded by one section
    assert is_event(one(CustomerMerged(customer_id="c1", survivor_id="c2")), CustomerMerged)
    assert activities.FOLDS.event_classes


def test_values_are_stored_as_the_wire_carried_them() -> None:
    order = OrderPlaced(
        order_id="o1",
        customer_id="c1",
        lines=(OrderLine(sku="s", quantity=1, unit_price=Decimal("1.50")),),
        total=Decimal("1.50"),
        currency="EUR",
    )
    data = one(order, "order-o1").data
    assert json_decimal(order.total) == data["total"] == "1.50"
    for text in ("1E+2", "0.00", "-1.5", "100", "0E-8", "123456789.123456789"):
        assert json_decimal(Decimal(text)) == DECIMAL.dump_python(Decimal(text), mode="json")
    for at in (
        datetime(2026, 1, 1, 10, 0, 0, 500_000, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(0))),
        datetime(2026, 1, 1, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 1, 1, 1, 2, 3),
    ):
        assert json_time(at) == DATETIME.dump_python(at, mode="json")
    assert json_time(datetime(2026, 1, 1, 10, tzinfo=UTC)) == "2026-01-01T10:00:00Z"


def test_projections_spell_no_event_type_name() -> None:
    """Folds match on the contracts' classes: renaming a contract fails mypy, not a fold."""
    spelled = re.compile(r"""["']crm\.[a-z]+\.[A-Z][A-Za-z]+\.v\d+["']""")
    found = [
        f"{path.relative_to(SOURCE)}: {match.group()}"
        for path in sorted(SOURCE.rglob("*.py"))
        for match in spelled.finditer(path.read_text())
    ]
    assert found == []
