"""Secrets never reach a log line: a filter on the handler scrubs every record on its way out.

Our code never logs a secret on purpose; this is the net under it and under libraries we do
not control. It redacts the values of secret-ish ``extra=`` fields (``access_token``,
``client_secret``, ``authorization``...), and in the message text, its arguments, the
exception and stack text: bearer/basic credentials, ``key=value`` and ``"key": "value"``
pairs with a secret-ish key (``hub.verify_token=...``), passwords in URLs, JWTs, Meta
access tokens, and wagen API keys (whose non-secret prefix is kept, to find the key).
"""

from __future__ import annotations

import functools
import logging
import re
import traceback
from collections.abc import Mapping
from typing import Any, Final

REDACTED: Final = "[REDACTED]"

RESERVED_ATTRS: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
"""Attributes every LogRecord has; anything else came from ``extra=`` or a filter."""

_SECRET_WORDS: Final = "|".join(
    (
        "token",
        "secret",
        "passw(?:or)?d",
        "pwd",
        "authorization",
        "api[_-]?key",
        "apikey",
        "credentials?",
        "private[_-]?key",
        "pepper",
        "cookie",
        "dsn",
    )
)
_SECRET_KEY: Final = re.compile(rf"(?i)^[\w.-]*(?:{_SECRET_WORDS})$")
"""A field or parameter name whose value is a secret (``verify_token``, ``X-Api-Key``)."""

_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    # Authorization header values: the scheme stays, the credential goes.
    # (a long token, or one with a digit or base64 symbol: "Basic authentication" is prose).
    (
        re.compile(
            r"(?i)\b(bearer|basic)(\s+)(?=[\w.~+/=-]{6,})"
            r"(?:[\w.~+/=-]{16,}|[a-z.~-]*[0-9_+/=][\w.~+/=-]*)"
        ),
        rf"\1\2{REDACTED}",
    ),
    # "client_secret": "..." / 'access_token': '...' (JSON, Python reprs).
    (
        re.compile(rf"""(?i)(["'][\w.-]*(?:{_SECRET_WORDS})["']\s*:\s*)(["'])(?:(?!\2).)*\2"""),
        rf"\1\2{REDACTED}\2",
    ),
    # hub.verify_token=... / access_token=... (query strings, key=value log text).
    (
        re.compile(rf"""(?i)\b([\w.-]*(?:{_SECRET_WORDS})=)[^&\s"',;)}}\]]+"""),
        rf"\1{REDACTED}",
    ),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@"), rf"\1{REDACTED}@"),
    # JWTs: base64url header (always starts "eyJ"), payload and signature.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    # wagen API keys (tenancy.apikeys): keep the lookup prefix, drop the secret.
    (re.compile(r"\b(wk_[0-9a-f]{12}_)[A-Za-z0-9_-]{43}"), rf"\1{REDACTED}"),
    # Meta access tokens (user, system-user and page tokens all start "EAA").
    (re.compile(r"\bEAA[A-Za-z0-9]{20,}"), REDACTED),
)


def scrub(text: str) -> str:
    """``text`` with every secret-looking value replaced."""
    if len(text) <= _CACHED_MAX_CHARS:
        # Log lines repeat (messages, tenant ids, topics): seven regex passes once per value.
        return _scrub_cached(text)
    return _scrub(text)


def _scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_CACHED_MAX_CHARS: Final = 256
_scrub_cached = functools.lru_cache(maxsize=8192)(_scrub)


@functools.lru_cache(maxsize=1024)
def is_secret_key(name: str) -> bool:
    """Whether a field named ``name`` holds a secret."""
    return bool(_SECRET_KEY.match(name))


def scrub_value(value: Any) -> Any:
    """A log field's value with its secrets redacted (dicts and lists walked)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and is_secret_key(k) else scrub_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_value(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    # Anything else is logged by its text (JSON uses str(), text uses format()): scrub it.
    return scrub(str(value))


class RedactionFilter(logging.Filter):
    """Rewrites a record so nothing secret-looking is left in it; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it itself
            return True
        record.msg, record.args = scrub(message), None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for name, value in list(vars(record).items()):
            if name in RESERVED_ATTRS:
                continue
            setattr(record, name, REDACTED if is_secret_key(name) else scrub_value(value))
        return True
