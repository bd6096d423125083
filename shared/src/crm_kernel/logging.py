"""structlog JSON logging for our code and the libraries'; correlation ids ride in context."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import structlog

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class RepeatFilter(logging.Filter):
    """Lets a warning or error through once per interval and per message (logger and
    template: a dead broker makes aiokafka, the producer and every command say the same thing
    ~100 times a second). The first one after the interval carries `suppressed`: how many
    like it were dropped since the last one shown. Info and debug lines always pass."""

    MAX_KEYS = 1000

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._interval = interval_s
        self._clock = clock
        self._seen: dict[tuple[str, int, str], list[float]] = {}  # key: [shown at, dropped]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        message = record.msg
        template = str(message.get("event") if isinstance(message, dict) else message)
        key = (record.name, record.levelno, template)
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self._interval:
            seen[1] += 1
            return False
        if seen is not None and seen[1]:
            dropped = int(seen[1])
            if isinstance(message, dict):  # structlog's event dict, rendered as is
                record.msg = {**message, "suppressed": dropped}
            else:
                record.suppressed = dropped  # picked up by the ExtraAdder below
        if len(self._seen) >= self.MAX_KEYS:
            self._seen.clear()
        self._seen[key] = [now, 0]
        return True


def configure_logging(service: str, level: str = "INFO", repeat_interval_s: float = 10.0) -> None:
    """One JSON object per line on stdout, from structlog and stdlib loggers alike; repeated
    warnings and errors at most once per `repeat_interval_s` each (RepeatFilter)."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder(allow=["suppressed"])],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(RepeatFilter(repeat_interval_s))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
