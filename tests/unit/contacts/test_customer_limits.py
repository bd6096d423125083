"""Given/when/then for the limits of one customer's record (issue 10, long streams): each is
refused with a domain error (422) naming the field and the limit, and removing makes room."""

from __future__ import annotations

import pytest
from crm_contacts.domain import customer as c
from crm_contacts_contracts import events as ev
from crm_kernel.domain.errors import DomainError

from tests.unit.contacts.builders import CID, given, point, registered, when


def tags(n: int) -> list[c.AddTag]:
    return [c.AddTag(customer_id=CID, tag=f"t{i}") for i in range(n)]


def test_a_customer_holds_at_most_100_tags_and_removing_one_makes_room() -> None:
    history = given(registered(), *tags(c.MAX_TAGS))
    with pytest.raises(DomainError, match="at most 100 tags") as refused:
        when(history, c.AddTag(customer_id=CID, tag="one-more"))
    assert (refused.value.field, refused.value.status_code) == ("tag", 422)
    assert when(history, c.AddTag(customer_id=CID, tag="t0")) == []  # held already: no-op
    history += when(history, c.RemoveTag(customer_id=CID, tag="t0"))
    assert when(history, c.AddTag(customer_id=CID, tag="one-more")) == [
        ev.TagAdded(customer_id=CID, tag="one-more")
    ]


@pytest.mark.parametrize(
    ("kind", "value", "limit", "what"),
    [
        (ev.ContactPointKind.EMAIL, "ana{}@example.com", 10, "e-mail addresses"),
        (ev.ContactPointKind.POSTAL, "Calle Mayor {}, Madrid", 10, "postal addresses"),
        (ev.ContactPointKind.WEBSITE, "https://example.com/{}", 20, "web and social profiles"),
    ],
)
def test_contact_points_are_limited_per_family_of_kinds(kind, value, limit, what) -> None:
    adds = [point(kind, value.format(n), pid=f"p{n}") for n in range(limit)]
    history = given(registered(), *adds)
    with pytest.raises(DomainError, match=f"at most {limit} {what}") as refused:
        when(history, point(kind, value.format("x"), pid="px"))
    assert (refused.value.field, refused.value.status_code) == ("kind", 422)
    history += when(history, c.RemoveContactPoint(customer_id=CID, point_id="p0"))
    assert when(history, point(kind, value.format("x"), pid="px"))


def test_every_kind_of_phone_counts_towards_the_phone_limit() -> None:
    mobiles = [point(ev.ContactPointKind.MOBILE, f"+3461234560{n}", pid=f"m{n}") for n in range(5)]
    whatsapps = [
        point(ev.ContactPointKind.WHATSAPP, f"+3461234561{n}", pid=f"w{n}") for n in range(5)
    ]
    history = given(registered(), *mobiles, *whatsapps)
    with pytest.raises(DomainError, match="at most 10 phone numbers"):
        when(history, point(ev.ContactPointKind.LANDLINE, "+34912345678", pid="l1"))
    # Another family is not held back by the phones.
    assert when(history, point(ev.ContactPointKind.EMAIL, "ana@example.com", pid="e1"))


@pytest.mark.parametrize(
    ("command", "limit", "field"),
    [
        (c.AddInterest(customer_id=CID, kind=ev.InterestKind.HOBBY, value="sailing"), 100, "value"),
        (
            c.RecordPersonalDate(
                customer_id=CID, kind=ev.PersonalDateKind.BIRTHDAY, date="--03-14"
            ),
            20,
            "date",
        ),
        (c.RecordFamilyNote(customer_id=CID, note="two children"), 200, "note"),
    ],
)
def test_profile_lists_are_limited(command, limit, field) -> None:
    history = given(registered(), *[command] * limit)
    with pytest.raises(DomainError, match=f"at most {limit} ") as refused:
        when(history, command)
    assert refused.value.field == field


def test_a_record_over_a_limit_from_before_keeps_what_it_has() -> None:
    # 120 tags recorded before the limit existed: the fold keeps them all.
    history = [ev.TagAdded(customer_id=CID, tag=f"t{i}") for i in range(120)]
    state = c.customer_decider.fold([*given(registered()), *history])
    assert len(state.tags) == 120
