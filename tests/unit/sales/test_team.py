"""Sales teams and round-robin (ADR 32): given/when/then for the team decider, the lead book's
entries, and the routing use case on in-memory fakes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from crm_kernel.application import CommandHandlers
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.relay import Relay
from crm_sales.application.round_robin import RoundRobin
from crm_sales.domain import lead
from crm_sales.domain.lead import CaptureLead, lead_decider
from crm_sales.domain.lead_book import entry_of
from crm_sales.domain.team import (
    AddMember,
    ChangeMember,
    CreateTeam,
    RemoveMember,
    RouteLead,
    stream_of,
    team_decider,
)
from crm_sales_contracts.events import (
    LeadChannel,
    TeamCreated,
    TeamLeadRouted,
    TeamMemberAdded,
    TeamMemberChanged,
    TeamMemberRemoved,
)

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.unit.sales.test_lead import ASSIGNED, CAPTURED, DISQUALIFIED, RECYCLED, converted

TEAM = "t1"
META = Metadata(actor="test")
CREATED = TeamCreated(team_id=TEAM, name="Iberia")
ANA, LUIS, EVA = (TeamMemberAdded(team_id=TEAM, member=m, cap=2) for m in ("ana", "luis", "eva"))


def then(given: list[DomainEvent], command: Any) -> list[DomainEvent]:
    return team_decider.decide(team_decider.fold(given), command)


def routed(lead_id: str, member: str) -> TeamLeadRouted:
    return TeamLeadRouted(team_id=TEAM, lead_id=lead_id, member=member)


def route(lead_id: str, **open_leads: int) -> RouteLead:
    return RouteLead(team_id=TEAM, lead_id=lead_id, open_leads=open_leads)


# --- the team -------------------------------------------------------------------------------


def test_a_team_is_created_once_and_takes_members_with_a_cap() -> None:
    assert then([], CreateTeam(team_id=TEAM, name=" Iberia ")) == [CREATED]
    assert then([CREATED], CreateTeam(team_id=TEAM, name="Iberia")) == []
    with pytest.raises(ConflictError, match="exists already, as Iberia"):
        then([CREATED], CreateTeam(team_id=TEAM, name="Nordics"))
    assert then([CREATED], AddMember(team_id=TEAM, member="ana", cap=2)) == [ANA]
    assert then([CREATED, ANA], AddMember(team_id=TEAM, member="ana", cap=2)) == []
    with pytest.raises(ConflictError, match="change their cap instead"):
        then([CREATED, ANA], AddMember(team_id=TEAM, member="ana", cap=9))


def test_a_member_is_changed_or_removed_and_an_unknown_one_is_not_found() -> None:
    away = ChangeMember(team_id=TEAM, member="ana", available=False)
    assert then([CREATED, ANA], away) == [
        TeamMemberChanged(team_id=TEAM, member="ana", cap=2, available=False)
    ]
    assert then([CREATED, ANA], ChangeMember(team_id=TEAM, member="ana", cap=2)) == []
    assert then([CREATED, ANA], RemoveMember(team_id=TEAM, member="ana")) == [
        TeamMemberRemoved(team_id=TEAM, member="ana")
    ]
    with pytest.raises(NotFoundError, match="has no member eva"):
        then([CREATED, ANA], RemoveMember(team_id=TEAM, member="eva"))
    with pytest.raises(NotFoundError, match="no team t1: create it first"):
        then([], AddMember(team_id=TEAM, member="ana"))
    with pytest.raises(DomainError, match="name must not be blank"):
        then([], CreateTeam(team_id=TEAM, name="  "))


# --- round-robin ----------------------------------------------------------------------------


def test_leads_go_round_the_members_in_the_order_they_joined() -> None:
    history: list[DomainEvent] = [CREATED, ANA, LUIS, EVA]
    got = []
    for n in range(4):
        [event] = then(history, route(f"l{n}"))
        assert isinstance(event, TeamLeadRouted)
        history.append(event)
        got.append(event.member)
    assert got == ["ana", "luis", "eva", "ana"]


def test_a_member_away_or_at_their_cap_is_skipped() -> None:
    history = [CREATED, ANA, LUIS, EVA, routed("l0", "ana")]
    assert then(history, route("l1", luis=2)) == [routed("l1", "eva")]
    away = TeamMemberChanged(team_id=TEAM, member="luis", cap=2, available=False)
    assert then([*history, away], route("l1")) == [routed("l1", "eva")]
    removed = TeamMemberRemoved(team_id=TEAM, member="luis")
    assert then([*history, removed], route("l1")) == [routed("l1", "eva")]


def test_nobody_under_their_cap_is_a_409_that_says_so() -> None:
    with pytest.raises(ConflictError, match="every member is away or at their cap"):
        then([CREATED, ANA, LUIS], route("l9", ana=2, luis=5))


def test_a_lead_routed_already_is_not_routed_again() -> None:
    assert then([CREATED, ANA, LUIS, routed("l0", "ana")], route("l0")) == []


# --- the lead book --------------------------------------------------------------------------


def test_the_lead_book_learns_owner_and_openness_from_lead_events() -> None:
    history = [CAPTURED, ASSIGNED, DISQUALIFIED, RECYCLED, converted()]
    made = wrap(history, source="crm.sales", stream_id="lead-l1", expected_version=0, metadata=META)
    assert [entry_of(e) for e in made] == [
        ("l1", {"owner": None, "open": True}),
        ("l1", {"owner": "marta"}),
        ("l1", {"open": False}),
        ("l1", {"open": True}),
        ("l1", {"open": False}),
    ]


class Book:
    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    async def open_counts(self, owners: Iterable[str]) -> dict[str, int]:
        return {o: self.open[o] for o in owners if o in self.open}


async def test_routing_assigns_the_lead_to_the_member_whose_turn_it_is() -> None:
    store = InMemoryEventStore()
    handlers = CommandHandlers(
        source="crm.sales",
        store=store,
        keys=InMemoryKeyStore(),
        relay=Relay(store, InMemoryPublisher()),
    )
    teams, leads = handlers.of(team_decider), handlers.of(lead_decider)
    book = Book()
    for command in (
        CreateTeam(team_id=TEAM, name="Iberia"),
        AddMember(team_id=TEAM, member="ana", cap=1),
        AddMember(team_id=TEAM, member="luis", cap=1),
    ):
        await teams.handle(stream_of(TEAM), command, META)
    for n in range(3):
        capture = CaptureLead(lead_id=f"l{n}", person_name="Ana", channel=LeadChannel.PHONE)
        await leads.handle(lead.stream_of(f"l{n}"), capture, META)
    robin = RoundRobin(teams, leads, book)
    first = await robin.route("l0", TEAM, META)
    again = await robin.route("l0", TEAM, META)  # a retry
    assert (first.member, again.member, again.assignment.event_ids) == ("ana", "ana", [])
    book.open = {"ana": 1}
    assert (await robin.route("l1", TEAM, META)).member == "luis"
    book.open = {"ana": 1, "luis": 1}
    with pytest.raises(ConflictError, match="at their cap"):
        await robin.route("l2", TEAM, META)
    with pytest.raises(NotFoundError, match="no lead l7"):
        await robin.route("l7", TEAM, META)  # refused before the turn moves
    state, _ = await leads.load(lead.stream_of("l1"))
    assert state.owner == "luis"
    assert (await teams.load(stream_of(TEAM)))[0].roster.last == "luis"
