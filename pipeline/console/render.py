"""Templates: Jinja2 with autoescaping on, loaded from the package, rendered to responses.

Autoescaping is on for every template, so a contact name or an error text from a vendor is
shown, never run. Undefined names fail the render (``StrictUndefined``) instead of printing
nothing, so a template that forgot a value is a bug found in tests, not a blank on a page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jinja2
from aiohttp import web

_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def when(value: datetime | None) -> str:
    """A time as operators read it (UTC, to the second); a dash for none."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime(_FORMAT)


def precise(value: datetime | None) -> str:
    """A time to the millisecond (the steps of one message are that close)."""
    if value is None:
        return "—"
    moment = value.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d} UTC"


def from_ms(value: int | float | None) -> str:
    """Epoch milliseconds (the Kafka headers' unit) as :func:`when` shows them."""
    if value is None:
        return "—"
    return when(datetime.fromtimestamp(value / 1000, tz=UTC))


def number(value: int | float | None) -> str:
    """``12,345``; a dash for none."""
    if value is None:
        return "—"
    return f"{value:,}"


class Templates:
    """The console's Jinja2 environment."""

    def __init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("pipeline.console", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(when=when, precise=precise, ms=from_ms, number=number)

    def render(self, name: str, context: dict[str, Any]) -> str:
        """The template ``name`` rendered with ``context``."""
        return self._env.get_template(name).render(context)


def html(text: str, status: int = 200) -> web.Response:
    """An HTML response (the security headers are added by the console's middleware)."""
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
