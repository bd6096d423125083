"""Crediting an invoice for a return: the credit note's net is what the return took off the
order's revenue, found on the invoice's order, so a refunded return reverses exactly what it
counted, and once (the account refuses a second credit note for the same return)."""

from __future__ import annotations

from decimal import Decimal

from crm_kernel.application import CommandHandler
from crm_kernel.domain.errors import DomainError, NotFoundError

from crm_sales.domain import account, order
from crm_sales.domain.account import Account, AccountCommand
from crm_sales.domain.order import Order, OrderCommand


class Crediting:
    def __init__(
        self,
        accounts: CommandHandler[Account, AccountCommand],
        orders: CommandHandler[Order, OrderCommand],
    ) -> None:
        self._accounts = accounts
        self._orders = orders

    async def net_to_credit(
        self, customer_id: str, invoice_id: str, net: Decimal | None, return_id: str | None
    ) -> Decimal:
        """`net` if given (a return's credit may keep a restocking fee), else the return's."""
        if return_id is None:
            if net is None:
                raise DomainError("give the net to credit, or the return it is for", field="net")
            return net
        state, _ = await self._accounts.load(account.stream_of(customer_id))
        order_id = state.receivable(invoice_id).posted.order_id
        bought, _ = await self._orders.load(order.stream_of(order_id))
        returned = next((r for r in bought.returns if r.return_id == return_id), None)
        if returned is None:
            raise NotFoundError(
                f"no return {return_id} on order {order_id}, which invoice {invoice_id} bills"
            )
        if net is not None and net > returned.net:
            raise DomainError(
                f"return {return_id} took {returned.net} off the order: credit at most that",
                field="net",
            )
        return returned.net if net is None else net
