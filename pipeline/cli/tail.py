"""``wagen tail``: the records of a topic, as a person reads them or as JSON lines."""

from __future__ import annotations

from contextlib import aclosing, suppress
from typing import TYPE_CHECKING

import click

from pipeline.cli.common import TIME_HELP, console, emit_json, run, time_option
from pipeline.cli.context import pass_settings
from pipeline.kafka.topics import TOPICS

if TYPE_CHECKING:
    from pipeline.ops.tail import Start
    from pipeline.settings import WagenSettings


@click.command("tail")
@click.argument("topic", type=click.Choice([s.name for s in TOPICS]))
@click.option("--tenant", help="Only this tenant's records (tenant_id header, else key prefix).")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest record kept.")
@click.option("--since", help=f"Start at records written since then ({TIME_HELP}).")
@click.option(
    "--follow/--no-follow",
    default=None,
    help="Keep waiting for new records. Default: on without --from-beginning/--since, off "
    "with them (they stop at the end as it was when the command started).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many records.")
@click.option(
    "--max-chars",
    type=click.IntRange(min=0),
    default=2000,
    show_default=True,
    help="Cut each value after this many characters (0: never; --json never cuts).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record, decoded.")
@pass_settings
def tail(
    settings: WagenSettings,
    topic: str,
    tenant: str | None,
    from_beginning: bool,
    since: str | None,
    follow: bool | None,
    limit: int | None,
    max_chars: int,
    as_json: bool,
) -> None:
    """Print the records of TOPIC: key, partition and offset, timestamp, headers and value.

    Without --from-beginning or --since it waits for new records until --limit or Ctrl-C.
    """
    from rich.markup import escape

    from pipeline.ops.tail import header_text, headline, record_json, tail_records, value_text

    if from_beginning and since:
        raise click.UsageError("give --from-beginning or --since, not both")
    since_ms = time_option(since, "--since")
    start: Start = "beginning" if from_beginning else since_ms if since_ms is not None else "end"
    keep_following = start == "end" if follow is None else follow
    out = console()

    async def work() -> None:
        records = tail_records(
            settings.kafka.servers,
            topic,
            start=start,
            follow=keep_following,
            tenant=tenant,
            limit=limit,
        )
        async with aclosing(records):
            async for record in records:
                row = record_json(record)
                if as_json:
                    emit_json(row)
                else:
                    out.print(f"[bold cyan]{escape(headline(row))}[/bold cyan]", soft_wrap=True)
                    out.print(f"[dim]{escape(header_text(row))}[/dim]", soft_wrap=True)
                    out.print(escape(value_text(row, max_chars)), soft_wrap=True, highlight=False)
                    out.print()

    with suppress(KeyboardInterrupt):  # Ctrl-C is how a follow ends
        run(settings, work())
