"""weavefn's log lines: one JSON object per line, and one line per cluster a trigger touched."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from weavefn.triggers.model import Outcome, Trigger

log = logging.getLogger("weavefn")

_EXTRA_KEYS = ("cluster", "trigger", "decision", "event_id", "request_id", "error", "status")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what every cloud's log service indexes without a parser."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _EXTRA_KEYS:
            value = record.__dict__.get(key)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Send weavefn's logs to stdout as JSON lines, once per process."""
    logger = logging.getLogger("weavefn")
    logger.setLevel(level)
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        # the platform's root handler would print each line a second time, unformatted
        logger.propagate = False


def trigger_kind(trigger: Trigger) -> str:
    return type(trigger).__name__.removesuffix("Trigger").lower() or "trigger"


def log_outcome(trigger: Trigger, outcome: Outcome, *, request_id: str = "") -> None:
    """One line per cluster with the decision, then one for the trigger as a whole."""
    kind = trigger_kind(trigger)
    common = {"trigger": kind, "event_id": trigger.event_id, "request_id": request_id or None}
    for cluster, summary in outcome.clusters.items():
        log.info(summary, extra={**common, "cluster": cluster, "decision": summary})
    level = logging.INFO if outcome.ok else logging.WARNING
    status = "ok" if outcome.ok else ("retry" if outcome.retry else "failed")
    log.log(level, outcome.message, extra={**common, "status": status})
