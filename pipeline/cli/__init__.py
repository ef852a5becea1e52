"""The ``wagen`` command line: one click group, with each command family in its own module.

Exit codes: 0 success, 1 the operation failed, 2 bad usage (click's own convention).
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute". A command's module is imported when that command is used (or
# listed by `wagen --help`), so `wagen parse meta FILE` loads the parser and nothing else.
_COMMANDS = {
    "gateway": "pipeline.cli.processes:gateway",
    "worker": "pipeline.cli.processes:worker",
    "run": "pipeline.cli.processes:run",
    "settings": "pipeline.cli.processes:settings_cmd",
    "db": "pipeline.cli.db:db",
    "topics": "pipeline.cli.topics:topics",
    "tenants": "pipeline.cli.tenants:tenants",
    "parse": "pipeline.cli.dryrun:parse",
    "translate": "pipeline.cli.dryrun:translate",
    "sandbox": "pipeline.cli.sandbox:sandbox",
    "dlq": "pipeline.cli.dlq:dlq",
    "held": "pipeline.cli.held:held",
    "media": "pipeline.cli.media:media",
    "lag": "pipeline.cli.lag:lag",
    "tail": "pipeline.cli.tail:tail",
    "replay": "pipeline.cli.replay:replay",
}


class _LazyGroup(click.Group):
    """A group whose commands are imported by name, on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup)
def cli() -> None:
    """wagen: the multi-tenant WhatsApp <-> Genesys Cloud bridge."""
    # Settings and logging are set up by the command that needs them
    # (pipeline.cli.context.pass_settings): `--help` and the dry runs need neither.


def main() -> None:
    """Console-script entry point."""
    cli()
