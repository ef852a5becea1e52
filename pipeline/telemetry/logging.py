"""Process logging: plain text for people, or JSON lines for log pipelines.

``extra={...}`` fields are kept in both forms, so a log line can carry tenant_id and other
facts as fields rather than inside the message text. Two filters on the one root handler
see every record, ours and every library's:
:class:`~pipeline.telemetry.correlation.CorrelationFilter` stamps the ids of the message
being handled (correlation id, tenant, message id, conversation), then
:class:`~pipeline.telemetry.redaction.RedactionFilter` removes anything secret.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from pipeline.settings import LogSettings
from pipeline.telemetry.correlation import CorrelationFilter
from pipeline.telemetry.redaction import RESERVED_ATTRS, RedactionFilter


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in RESERVED_ATTRS}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``ts``, ``level``, ``logger``, ``msg``, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger: message key=value ...``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = _extras(record)
        if extras:
            head, sep, tail = line.partition("\n")  # fields on the message's line, not the trace's
            line = head + " " + " ".join(f"{k}={v}" for k, v in extras.items()) + sep + tail
        return line


def log_handler(settings: LogSettings) -> logging.Handler:
    """The stderr handler every record goes through, with its filters and format."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.json_lines else TextFormatter())
    # Order matters: the ids are stamped first, so the redaction sees the whole record.
    handler.addFilter(CorrelationFilter())
    handler.addFilter(RedactionFilter())
    return handler


def configure_logging(settings: LogSettings) -> None:
    """Send every log record (and every warning) to stderr in the configured shape.

    Faust would replace the root handler when its worker starts; the worker is told not to
    (``override_logging=False`` in :func:`pipeline.worker.app.run_worker`).
    """
    root = logging.getLogger()
    root.handlers[:] = [log_handler(settings)]
    root.setLevel(settings.level)
    # Warnings (a library's deprecation, a ResourceWarning) become records in the same shape.
    logging.captureWarnings(True)
