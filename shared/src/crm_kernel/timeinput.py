"""Date-times as requests give them: ISO 8601 strings with a time zone, and nothing else.

Pydantic alone also takes numbers and numeric strings as Unix times (`"starts_at": 0` would be
a meeting in 1970): every request date-time uses these types instead.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

ISO_8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)$"
)
# How far ahead of our clock a sender's clock may run when it says when something happened.
MAX_CLOCK_SKEW = timedelta(seconds=300)
EXAMPLE = "2026-03-05T14:30:00Z"


# Read models order instants as text (ISO 8601 sorts as time only with four-digit years), and
# no customer fact of a CRM comes from before this.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def _iso_8601(value: Any) -> Any:
    if isinstance(value, datetime):
        return value  # from Python callers; its time zone is checked next
    if isinstance(value, str) and ISO_8601.match(value):
        return value
    raise ValueError(f"give an ISO 8601 date-time with a time zone, e.g. {EXAMPLE}")


def _in_range(value: datetime) -> datetime:
    if value < EARLIEST:
        raise ValueError(f"is before {EARLIEST:%Y-%m-%d}: give a date-time from 1900 on")
    return value


def _not_ahead(value: datetime) -> datetime:
    if value > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise ValueError(
            f"is in the future: a fact that happened cannot be more than "
            f"{int(MAX_CLOCK_SKEW.total_seconds())} s ahead of now"
        )
    return value


# Any date-time a request gives: ISO 8601 with a time zone.
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_8601), AfterValidator(_in_range)]
# When something happened (a call, an order, an answer): not ahead of now beyond clock skew.
# Long ago is fine: imports bring history, even from before the customer's registration.
OccurredAt = Annotated[IsoDateTime, AfterValidator(_not_ahead)]


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # from Python callers
    if isinstance(value, str) and ISO_DATE.match(value):
        return value
    raise ValueError("give an ISO 8601 date, e.g. 2026-03-31")


def _date_in_range(value: date) -> date:
    if value < EARLIEST.date():
        raise ValueError(f"is before {EARLIEST:%Y-%m-%d}: give a date from 1900 on")
    return value


# A calendar day as requests give it: YYYY-MM-DD, nothing else (pydantic alone reads `0` as
# 1970-01-01).
IsoDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_date_in_range)]
