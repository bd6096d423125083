"""The customer streams as the use cases see them: a command on the customer it names, the
state of a customer, and the walk along merges to the customer that survived them."""

from __future__ import annotations

from crm_kernel.application import CommandHandler, CommandResult, Loaded
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.merges import merge_chain

from crm_contacts.domain.customer import Command, Customer, stream_of


class Customers:
    def __init__(self, handler: CommandHandler[Customer, Command]) -> None:
        self._handler = handler

    async def handle(self, command: Command, metadata: Metadata) -> CommandResult:
        """A command on the stream of the customer it names."""
        return await self._handler.handle(stream_of(command.customer_id), command, metadata)

    async def state(self, customer_id: str) -> Customer:
        return (await self._handler.load(stream_of(customer_id)))[0]

    async def drop_snapshot(self, customer_id: str) -> None:
        await self._handler.drop_snapshot(stream_of(customer_id))

    async def merge_chain(self, customer_id: str) -> list[str]:
        """The ids from `customer_id` along its merges, the surviving customer last."""
        return await merge_chain(customer_id, self._merged_into)

    async def resolve(self, customer_id: str) -> tuple[str, Customer]:
        """Follow merges to the surviving customer: its id and state."""
        survivor, loaded = await self.resolve_loaded(customer_id)
        return survivor, loaded.state

    async def resolve_loaded(self, customer_id: str) -> tuple[str, Loaded[Customer]]:
        """`resolve`, with the surviving customer's stream as loaded (and the keys it read)."""
        seen: dict[str, Loaded[Customer]] = {}

        async def merged_into(cid: str) -> str | None:
            seen[cid] = await self._handler.load_stream(stream_of(cid))
            return seen[cid].state.merged_into

        *_, survivor = await merge_chain(customer_id, merged_into)
        return survivor, seen[survivor]

    async def _merged_into(self, customer_id: str) -> str | None:
        return (await self.state(customer_id)).merged_into
