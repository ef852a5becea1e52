"""What the operator commands share: time options, JSON lines, one-line failures, rich output.

Exit codes follow the package's convention: 0 done, 1 the operation failed (one ``error:``
line on stderr), 2 bad usage (click's own).
"""

from __future__ import annotations

import getpass
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

    from pipeline.settings import WagenSettings
    from tenancy.audit import Actor

T = TypeVar("T")

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}

TIME_HELP = "10m, 2h, 1d ago, or an ISO-8601 time with its zone"


def now_ms() -> int:
    """Wall-clock epoch milliseconds (Kafka timestamps and wagen headers use them)."""
    return time.time_ns() // 1_000_000


def parse_time(value: str, *, now: int) -> int:
    """``10m``, ``2h``, ``1d`` before ``now``, or an ISO-8601 time, as epoch milliseconds.

    Raises:
        ValueError: with a message an operator can act on.
    """
    duration = _DURATION.match(value)
    if duration:
        return now - int(duration[1]) * _UNIT_MS[duration[2]]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("use a duration like 10m, 2h, 1d or an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise ValueError("give the time zone, e.g. 2026-11-27T10:00:00+00:00")
    return int(moment.timestamp() * 1000)


def parse_since(value: str | None) -> int | None:
    """``parse_time`` relative to now, for a click option (None stays None)."""
    if value is None:
        return None
    try:
        return parse_time(value, now=now_ms())
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def time_option(value: str | None, name: str) -> int | None:
    """``parse_since`` with the option's name in the usage error."""
    try:
        return parse_since(value)
    except click.BadParameter as exc:
        exc.param_hint = name
        raise


def fail(message: str) -> NoReturn:
    """One ``error:`` line on stderr, exit 1."""
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(1)


def _said(exc: BaseException) -> str:
    text = str(exc)
    name = type(exc).__name__
    return text if text.startswith(name) else f"{name}: {text}"


def run(settings: WagenSettings, work: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; a store that fails or is unreachable is one line, exit 1.

    aiokafka logs each failed connection attempt itself; the one line says it all, so its
    logger is quiet for the command's duration.
    """
    import asyncio

    import asyncpg
    from aiokafka.errors import KafkaError

    from schemas.errors import WagenError

    kafka_log = logging.getLogger("aiokafka")
    level = kafka_log.level
    kafka_log.setLevel(logging.CRITICAL)
    try:
        return asyncio.run(work)
    except KafkaError as exc:
        fail(
            f"Kafka at {settings.kafka.bootstrap_servers}: {_said(exc)} "
            "(is the stack up? deploy/local/stack up)"
        )
    except asyncpg.PostgresError as exc:
        fail(f"PostgreSQL: {_said(exc)}")
    except (WagenError, OSError) as exc:
        fail(_said(exc))
    finally:
        kafka_log.setLevel(level)


def emit_json(row: dict[str, Any]) -> None:
    """One JSON object on one line."""
    click.echo(json.dumps(row, default=str, ensure_ascii=False))


def cli_actor() -> Actor:
    """The audit log's name for the person at the shell."""
    from tenancy.audit import Actor

    return Actor(label=f"cli:{getpass.getuser()}", request_id=None)


def console() -> Console:
    """Rich output on the current stdout (click's test runner swaps it).

    Off a terminal rich would assume 80 columns and squeeze tables; a pipe gets room.
    """
    from rich.console import Console

    out = Console(file=click.get_text_stream("stdout"))
    return out if out.is_terminal else Console(file=out.file, width=200)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, shown only on a terminal; yields ``update(total, done)``.

    On stderr so that stdout stays clean for ``--json`` and pipes.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    err = Console(stderr=True)
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task(label, total=None)

        def update(total: int, done: int) -> None:
            # total 0: not known (yet); the bar then only counts.
            progress.update(task, total=total or None, completed=done)

        yield update
