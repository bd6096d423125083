"""What every sales route shares: a request that may say when its fact happened, the
contracts' bounds merged into request fields, and handling the command on its stream."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import Answer, accept
from crm_kernel.request_body import RequestBody
from crm_kernel.timeinput import OccurredAt
from fastapi import Depends, Request
from pydantic import Field
from pydantic.fields import FieldInfo

from crm_sales.settings import SalesSettings

S = TypeVar("S")
C = TypeVar("C")


class StepRequest(RequestBody):
    """A step of a lead's or a deal's life; `{}` when it happens now."""

    occurred_at: OccurredAt | None = Field(
        default=None, description="When it happened, if before now (recorded after the fact)"
    )


def bounded(bounds: FieldInfo, **overrides: Any) -> Any:
    """A request field with the contract's bounds (`bounds`) and its own `overrides`, merged
    into the field so the text check (`Line`, `Text`) reports characters, not "items"."""
    return FieldInfo.merge_field_infos(bounds, **overrides)


def optional(bounds: FieldInfo, **overrides: Any) -> Any:
    """An optional request field (default None) with the contract's bounds."""
    return bounded(bounds, default=None, **overrides)


async def accept_step(
    handler: CommandHandler[S, C],
    stream_id: str,
    command: C,
    metadata: Metadata,
    body: StepRequest,
    answer: type[Answer],
    **extra: Any,
) -> Answer:
    """Handle `command` on `stream_id`, as having happened when the request says."""
    return await accept(
        handler, stream_id, command, metadata.happened_at(body.occurred_at), answer, **extra
    )


async def _settings(request: Request) -> SalesSettings:
    settings: SalesSettings = request.app.state.sales_settings
    return settings


# The sales team's lists and pipelines (crm_sales.settings), for the routes that need them.
Configured = Annotated[SalesSettings, Depends(_settings)]
