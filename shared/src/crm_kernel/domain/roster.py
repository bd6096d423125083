"""A team's members as its events left them, and who takes the next piece of work (ADR 32,
ADR 49): sales' teams route leads, support's teams route cases, on this one roster.

Each member has a cap on their open work and may be away. Round-robin serves the first member
after the last one served, in joining order; least-open serves whoever holds the least open
work (the first in that order among equals). Both skip members away or at their cap; the
caller says how much open work each holds, so every decision stays pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError

MAX_MEMBERS = 200


@dataclass(frozen=True)
class Member:
    cap: int
    available: bool = True


@dataclass(frozen=True)
class Roster:
    members: Mapping[str, Member] = field(default_factory=dict)
    order: tuple[str, ...] = ()  # joining order: the round's order
    last: str | None = None  # who was served last

    # --- decisions: what a command may do to the roster (None: nothing, a retry) ----------
    def adding(self, team: str, member: str, cap: int) -> Member | None:
        found = self.members.get(member)
        if found is not None:
            if found.cap == cap:
                return None
            raise ConflictError(f"{member} is in team {team} already: change their cap instead")
        if len(self.members) >= MAX_MEMBERS:
            raise DomainError(f"a team has at most {MAX_MEMBERS} members", field="member")
        return Member(cap=cap)

    def changing(
        self, team: str, member: str, *, cap: int | None, available: bool | None
    ) -> Member | None:
        now = self.member(team, member)
        after = Member(
            cap=now.cap if cap is None else cap,
            available=now.available if available is None else available,
        )
        return None if after == now else after

    def member(self, team: str, member: str) -> Member:
        found = self.members.get(member)
        if found is None:
            raise NotFoundError(f"team {team} has no member {member}")
        return found

    def next_in_turn(self, open_work: Mapping[str, int]) -> str | None:
        """Round-robin: None when every member is away or at their cap."""
        order = list(self.order)
        start = order.index(self.last) + 1 if self.last in order else 0
        for member in order[start:] + order[:start]:
            if self._takes(member, open_work):
                return member
        return None

    def least_open(self, open_work: Mapping[str, int]) -> str | None:
        """Whoever holds the least open work now (the first to join among equals)."""
        takers = [m for m in self.order if self._takes(m, open_work)]
        return min(takers, key=lambda m: open_work.get(m, 0), default=None)

    def _takes(self, member: str, open_work: Mapping[str, int]) -> bool:
        found = self.members[member]
        return found.available and open_work.get(member, 0) < found.cap

    # --- evolution ------------------------------------------------------------------------
    def joined(self, member: str, cap: int) -> Roster:
        return replace(
            self, members={**self.members, member: Member(cap=cap)}, order=(*self.order, member)
        )

    def changed(self, member: str, cap: int, available: bool) -> Roster:
        return replace(self, members={**self.members, member: Member(cap, available)})

    def left(self, member: str) -> Roster:
        members = {name: m for name, m in self.members.items() if name != member}
        return replace(self, members=members, order=tuple(m for m in self.order if m != member))

    def served(self, member: str) -> Roster:
        return replace(self, last=member)
