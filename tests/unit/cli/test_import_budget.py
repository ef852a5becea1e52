"""The CLI's import budget: what ``--help`` and a dry run load, so they answer at once.

``wagen --help`` and every ``--help`` below it must import click, the standard library and
a short list of wagen's own light modules, nothing else; ``wagen parse meta`` adds the
parser's models, never Kafka, the stores, Faust or the send models. The time itself is not
asserted (machines differ); the modules are what make it.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT

META_SAMPLE = REPO_ROOT.parent / "shared/reference/meta/samples/metadoc__image_with_url.json"

# Run in a fresh interpreter: this test process has imported everything already.
_WALK_HELP = """
import sys
before = set(sys.modules)
import json
import click
from pipeline.cli import cli

def paths(command, prefix):
    yield prefix
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from paths(command.get_command(ctx, name), [*prefix, name])

for path in list(paths(cli, [])):
    try:
        cli.main([*path, "--help"], prog_name="wagen", standalone_mode=False)
    except SystemExit:
        pass
print(json.dumps(sorted(set(sys.modules) - before)))
"""

_PARSE = """
import sys
before = set(sys.modules)
import json
from pipeline.cli import cli
try:
    cli.main(["parse", "meta", sys.argv[1]], prog_name="wagen", standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(set(sys.modules) - before)))
"""

# Every first-party module a --help may load: the command modules and what their option
# declarations read (topic names, the demo tenant's ids, the error roots).
_HELP_OURS = {
    "pipeline",
    "pipeline.cli",
    "pipeline.errors",
    "pipeline.kafka",
    "pipeline.kafka.topics",
    "pipeline.runtime",
    "pipeline.runtime.sandbox_mode",
    "schemas",
    "schemas.errors",
}
_NEVER_FOR_PARSE = (
    "aiokafka",
    "faust",
    "mode",
    "asyncpg",
    "redis",
    "hvac",
    "aiohttp",
    "rich",
    "pydantic_settings",
    "prometheus_client",
    "uvloop",
    "tenancy",
    "pipeline.settings",
    "pipeline.worker",
    "pipeline.gateway",
    "schemas.meta.send",
)


def _modules(script: str, *args: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def _third_party(modules: set[str]) -> set[str]:
    roots = {m.split(".")[0] for m in modules}
    ours = {"pipeline", "schemas", "connectors", "tenancy"}
    return {r for r in roots if r not in sys.stdlib_module_names and r not in ours}


def test_every_help_imports_click_and_a_few_light_modules_of_ours() -> None:
    modules = _modules(_WALK_HELP)
    assert _third_party(modules) <= {"click"}, _third_party(modules)
    ours = {m for m in modules if m.split(".")[0] in {"pipeline", "schemas", "connectors"}}
    commands = {m for m in ours if m.startswith("pipeline.cli.")}
    assert ours - commands == _HELP_OURS
    assert not {m for m in modules if m.split(".")[0] == "tenancy"}


def test_a_dry_run_imports_the_parser_and_nothing_of_the_pipeline() -> None:
    modules = _modules(_PARSE, str(META_SAMPLE))
    assert "connectors.meta.webhook" in modules  # the parse did run
    loaded = [n for n in _NEVER_FOR_PARSE if any(m == n or m.startswith(f"{n}.") for m in modules)]
    assert loaded == []
