"""What every request body shares: unknown fields are refused, numbers have sane bounds."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_QUANTITY = 1_000_000
MAX_MONEY = Decimal(10**12)


class RequestBody(BaseModel):
    """A request body: a field the API does not know is refused (422), never dropped, so a
    misspelt field cannot pass as if it had been applied."""

    model_config = ConfigDict(extra="forbid")


# Strict: `true` is not a quantity (lax validation reads it as 1).
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY, strict=True)]
# Money amounts in the currency's unit, in cents at most.
Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=2, max_digits=15)]
