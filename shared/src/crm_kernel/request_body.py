"""What every request body shares: unknown fields are refused and text is text (`Line` for
names, owners, tags and labels; `Text` for free text: crm_kernel.text). Bounds a request shares
with its command and event are declared once, beside the event (crm_kernel.contracts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from crm_kernel.text import LINE_PATTERN, TEXT_PATTERN, refused_in_line, refused_in_text


class RequestBody(BaseModel):
    """A request body: a field the API does not know is refused (422), never dropped, so a
    misspelt field cannot pass as if it had been applied."""

    model_config = ConfigDict(extra="forbid")


def _checked(refused: Callable[[str], str | None]) -> Callable[[object], object]:
    # Before pydantic's own str check, so that a lone surrogate is named as such; what is no
    # str at all is left to that check.
    def check(value: object) -> object:
        if isinstance(value, str) and (why := refused(value)):
            raise ValueError(why)
        return value

    return check


# The pattern is documented (OpenAPI), the validator enforces it with a message that names the
# character; lengths stay with each field (`name: Line = Field(max_length=200)`). The optional
# forms wrap the whole `str | None`: wrapping `str` alone would hide the field's max_length from
# the str check (pydantic then says "items" for characters).
_LINE = BeforeValidator(_checked(refused_in_line))
_TEXT = BeforeValidator(_checked(refused_in_text))
_AS_LINE = Field(json_schema_extra={"pattern": LINE_PATTERN})
_AS_TEXT = Field(json_schema_extra={"pattern": TEXT_PATTERN})
Line = Annotated[str, _AS_LINE, _LINE]
OptionalLine = Annotated[str | None, _AS_LINE, _LINE]
Text = Annotated[str, _AS_TEXT, _TEXT]
OptionalText = Annotated[str | None, _AS_TEXT, _TEXT]


class ErasureRequest(RequestBody):
    """Right to be forgotten, in every context that holds a person's data."""

    # Both outlive the erasure in the audit trail: a role or ticket, not the person's data.
    requested_by: Line = Field(
        min_length=1,
        max_length=200,
        examples=["the data subject, ticket DPO-1234"],
        description="Who asked, as a role or ticket reference (kept after the erasure)",
    )
    reason: Text = Field(min_length=1, max_length=500, examples=["GDPR art. 17 request"])
