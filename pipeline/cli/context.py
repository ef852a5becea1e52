"""How a command gets its settings: loaded when it runs, never for ``--help``.

Every module of this package imports only click and the standard library at the top; what a
command needs (pydantic, Kafka, PostgreSQL, Faust...) is imported when it runs. So
``wagen --help`` and each ``--help`` below it answer at once, and a dry run loads no more
than the parser (``tests/unit/cli/test_import_budget.py`` keeps it so).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import click

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings

P = ParamSpec("P")
R = TypeVar("R")

_SETTINGS = "wagen.settings"
# Long-running processes log at the configured level; one-shot commands only warnings.
_PROCESSES = frozenset({"gateway", "worker", "run", "sandbox"})


def load_settings() -> WagenSettings:
    """The settings of this invocation, read from ``WAGEN_*`` once, with logging set up.

    Raises:
        click.UsageError: invalid settings (exit 2, naming the variable).
    """
    root = click.get_current_context().find_root()
    cached: WagenSettings | None = root.meta.get(_SETTINGS)
    if cached is not None:
        return cached
    from pydantic import ValidationError

    from pipeline.runtime.sandbox_mode import with_sandbox
    from pipeline.settings import WagenSettings
    from pipeline.telemetry.logging import configure_logging

    try:
        # Sandbox mode re-points the connectors at the simulators, for every process alike.
        settings = with_sandbox(WagenSettings())
    except ValidationError as exc:
        raise click.UsageError(f"invalid WAGEN_* settings:\n{exc}") from exc
    log_settings = settings.log
    if root.invoked_subcommand not in _PROCESSES and "WAGEN_LOG_LEVEL" not in os.environ:
        # One-shot commands print their results; library chatter would drown them.
        log_settings = log_settings.model_copy(update={"level": "WARNING"})
    configure_logging(log_settings)
    root.meta[_SETTINGS] = settings
    return settings


def pass_settings(command: Callable[Concatenate[WagenSettings, P], R]) -> Callable[P, R]:
    """Call ``command`` with the settings as its first argument (like ``click.pass_obj``)."""

    @functools.wraps(command)
    def with_settings(*args: P.args, **kwargs: P.kwargs) -> R:
        return command(load_settings(), *args, **kwargs)

    return with_settings
