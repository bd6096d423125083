"""The kernel's decision table and merge-chain walk."""

from __future__ import annotations

import pytest
from crm_kernel.domain.decider import Decisions
from crm_kernel.domain.errors import GoneError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.merges import MAX_MERGE_HOPS, MergeChainTooLong, merge_chain


class Open:
    pass


class Close:
    pass


def test_a_command_is_decided_by_its_type_after_its_guard() -> None:
    decide: Decisions[list[str], Open | Close] = Decisions()
    calls: list[str] = []

    def must_be_open(state: list[str], command: Close) -> None:
        calls.append("guard")
        if "open" not in state:
            raise GoneError("not open")

    @decide.on(Open)
    def open_(state: list[str], command: Open) -> list[DomainEvent]:
        calls.append("open")
        return []

    @decide.on(Close, guard=must_be_open)
    def close(state: list[str], command: Close) -> list[DomainEvent]:
        calls.append("close")
        return []

    assert decide([], Open()) == [] and calls == ["open"]
    with pytest.raises(GoneError):
        decide([], Close())
    assert calls == ["open", "guard"]
    decide(["open"], Close())
    assert calls[-2:] == ["guard", "close"]
    assert decide.command_types == {Open, Close}


def test_a_type_gets_one_decision_and_an_unknown_type_is_a_bug() -> None:
    decide: Decisions[None, object] = Decisions()
    decide.on(Open)(lambda state, command: [])
    with pytest.raises(ValueError, match="has a decision already"):
        decide.on(Open)(lambda state, command: [])
    with pytest.raises(TypeError, match="no decision for Close"):
        decide(None, Close())


async def test_a_merge_chain_ends_at_the_survivor_and_is_bounded() -> None:
    merges = {"a": "b", "b": "c"}

    async def merged_into(cid: str) -> str | None:
        return merges.get(cid)

    assert await merge_chain("a", merged_into) == ["a", "b", "c"]
    assert await merge_chain("c", merged_into) == ["c"]
    loop = {"x": "y", "y": "x"}

    async def looping(cid: str) -> str | None:
        return loop[cid]

    with pytest.raises(MergeChainTooLong, match="too long a merge chain"):
        await merge_chain("x", looping)
    # MAX_MERGE_HOPS lookups: the longest chain that ends in a survivor has one hop fewer.
    steps = {str(n): str(n + 1) for n in range(MAX_MERGE_HOPS - 1)}

    async def longest(cid: str) -> str | None:
        return steps.get(cid)

    assert len(await merge_chain("0", longest)) == MAX_MERGE_HOPS
