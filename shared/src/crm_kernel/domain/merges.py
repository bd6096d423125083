"""Following merges: a merged customer's id leads to the customer it was merged into, and on
along later merges to the survivor. Every walk along that chain shares its bound."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from crm_kernel.domain.errors import GoneError

# A chain longer than this is a loop or a runaway import, not a history of merges.
MAX_MERGE_HOPS = 16


class MergeChainTooLong(GoneError):
    pass


async def merge_chain(start: str, merged_into: Callable[[str], Awaitable[str | None]]) -> list[str]:
    """The ids from `start` along its merges, the survivor last (`[start]` if never merged).
    `merged_into(id)` says where one id went, None for a survivor."""
    chain = [start]
    for _ in range(MAX_MERGE_HOPS):
        target = await merged_into(chain[-1])
        if target is None:
            return chain
        chain.append(target)
    raise MergeChainTooLong(f"customer {start} has too long a merge chain")
