"""``wagen lag``: how far consumer groups trail wagen's topics, per partition and in total."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pipeline.cli.common import console, emit_json, progress_bar, run
from pipeline.cli.context import pass_settings
from pipeline.kafka.topics import TOPICS

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings


@click.command("lag")
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="Only this consumer group (repeatable). Default: every group that has committed "
    "offsets on a wagen topic.",
)
@click.option(
    "--tenant",
    help="Count only this tenant's records. This reads each partition's uncommitted range "
    "(the backlog itself, once for all groups) and counts the records whose tenant_id "
    "header (or key prefix) is the tenant: cheap when lag is small, a full read of the "
    "backlog when it is large.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per group.")
@pass_settings
def lag(
    settings: WagenSettings, groups: tuple[str, ...], tenant: str | None, as_json: bool
) -> None:
    """Per topic and partition: committed offset, end offset and lag, then each group's total.

    Lag is end minus committed: records the group has not finished. The table leaves out
    partitions without lag (--json has them all). Only partitions a group committed on
    count: where it never committed, it has no position to trail from.
    """
    from rich import box
    from rich.table import Table

    from pipeline.ops.lag import measure_lag

    topics = frozenset(s.name for s in TOPICS)
    with progress_bar(f"reading {tenant}'s backlog" if tenant else "reading offsets") as update:
        found = run(
            settings,
            measure_lag(
                settings.kafka.servers,
                topics,
                groups=list(groups) or None,
                tenant=tenant,
                on_scan=update,
            ),
        )
    if as_json:
        for group in found:
            emit_json(group.as_json())
        return
    out = console()
    if not found:
        out.print("no consumer group has committed offsets on wagen's topics")
        return
    for group in found:
        scope = f" (records of tenant {tenant})" if tenant else ""
        table = Table(title=f"{group.group}{scope}", title_justify="left", box=box.SIMPLE_HEAD)
        for column in ("topic", "partition", "committed", "end", "lag"):
            table.add_column(column, justify="left" if column == "topic" else "right")
        behind = [p for p in group.partitions if p.lag]
        for p in behind:
            table.add_row(p.topic, str(p.partition), str(p.committed), str(p.end), str(p.lag))
        table.add_section()
        caught_up = len(group.partitions) - len(behind)
        table.add_row(
            f"total ({caught_up} partitions without lag not shown)",
            "",
            "",
            "",
            f"[bold]{group.total}[/bold]",
        )
        out.print(table)
    if len(found) > 1:
        out.print(f"[bold]total over {len(found)} groups: {sum(g.total for g in found)}[/bold]")
