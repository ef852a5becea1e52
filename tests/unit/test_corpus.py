"""Every body of ``tests/corpus`` through the dry runs, with the outcome its manifest expects.

The corpus holds third-party webhook bodies from public projects' fixtures (each file's
source, commit and licence in ``tests/corpus/SOURCES.tsv``) and wagen's own malformed
variations. Meta bodies run through ``wagen parse meta`` and ``wagen translate
meta-to-genesys``, Genesys bodies through ``wagen translate genesys-to-meta``, in-process on
the very commands ``wagen`` registers. ``MANIFEST.tsv`` says what each must give: the exit
code, the events (``kind:type``), the calls, the fields named by ``error:`` lines and the
``note:`` lines. No run may end in a traceback: the runner lets exceptions through, and an
unforeseen failure would be exit 1, which no entry expects.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli.dryrun import parse, translate
from tests.unit.schemas.reference import GENESYS_EXAMPLES, META_SAMPLES

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
RECEIVED = "2026-01-02T03:04:05Z"
COLUMNS = ["file", "exit", "events", "calls", "errors", "notes"]
NOTE_KINDS = {
    "replaced by U+FFFD": "repaired",
    "ignored:": "ignored",
    "is not a type wagen sends": "unknown-type",
}
"""The ``note:`` lines the dry runs print, by what they say (any other fails the test)."""


@dataclass(frozen=True)
class Outcome:
    """What the dry runs made of one body, in the manifest's words."""

    exit: int
    events: str
    calls: str
    errors: str
    notes: str

    def row(self, file: str) -> dict[str, str]:
        return {"file": file, "exit": str(self.exit), "events": self.events, "calls": self.calls,
                "errors": self.errors, "notes": self.notes}  # fmt: skip


def listed(items: list[str]) -> str:
    return ",".join(items) or "-"


def run(group: object, *args: str) -> Result:
    result = CliRunner().invoke(group, [*args, "--received-at", RECEIVED], catch_exceptions=False)  # type: ignore[arg-type]
    assert "Traceback" not in result.output
    return result


def stderr_facts(result: Result) -> tuple[list[str], list[str]]:
    """The fields of the ``error:`` lines, and the ``note:`` lines in short."""
    errors, notes = [], []
    for line in result.stderr.splitlines():
        kind, _, rest = line.partition(": ")
        if kind == "error":
            errors.append(rest.split(": ", 1)[0])
        elif kind == "note":
            where, _, what = rest.partition(": ")
            notes.append(f"{NOTE_KINDS[next(k for k in NOTE_KINDS if k in what)]}@{where}")
        else:
            raise AssertionError(f"a stderr line that is neither error nor note: {line!r}")
    return errors, notes


def meta_outcome(path: Path) -> Outcome:
    parsed = run(parse, "meta", str(path))
    translated = run(translate, "meta-to-genesys", str(path))
    assert parsed.exit_code == translated.exit_code, (parsed.stderr, translated.stderr)
    assert parsed.stderr == translated.stderr
    events = [json.loads(line) for line in parsed.stdout.splitlines()]
    calls = [json.loads(line) for line in translated.stdout.splitlines()]
    errors, notes = stderr_facts(parsed)
    return Outcome(
        parsed.exit_code,
        listed([f"{e['kind']}:{e['type']}" for e in events]),
        listed([c["path"].split("/inbound/open/", 1)[1] for c in calls]),
        listed(errors),
        listed(notes),
    )


def genesys_outcome(path: Path) -> Outcome:
    result = run(translate, "genesys-to-meta", str(path))
    shapes = []
    for line in result.stdout.splitlines():
        call = json.loads(line)
        edge, body = call["path"].rsplit("/", 1)[1], call["body"]
        kind = body.get("type") or ("read" if body.get("status") == "read" else "?")
        shapes.append(f"{edge}:{kind}")
    errors, notes = stderr_facts(result)
    return Outcome(result.exit_code, "-", listed(shapes), listed(errors), listed(notes))


def outcome(file: str) -> Outcome:
    path = CORPUS / file
    return genesys_outcome(path) if file.startswith("genesys/") else meta_outcome(path)


def read_tsv(name: str) -> list[dict[str, str]]:
    with (CORPUS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


MANIFEST = read_tsv("MANIFEST.tsv")
SOURCES = read_tsv("SOURCES.tsv")


def test_every_body_has_a_source_and_an_expected_outcome() -> None:
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.json")}
    assert on_disk == {row["file"] for row in SOURCES}
    assert on_disk == {row["file"] for row in MANIFEST}
    third_party = [row for row in SOURCES if row["commit"]]
    assert all(row["repo"] and row["path"] and row["licence"] for row in third_party)
    assert len(on_disk) >= 100
    assert sum(f.startswith("genesys/") for f in on_disk) >= 25


def test_no_body_repeats_a_reference_sample() -> None:
    def canonical(path: Path) -> str | None:
        try:
            return json.dumps(json.loads(path.read_bytes()), sort_keys=True)
        except (ValueError, RecursionError):  # the corpus's own undecodable bodies
            return None

    reference = {
        canonical(p) for p in [*META_SAMPLES.glob("*.json"), *GENESYS_EXAMPLES.glob("*.json")]
    }
    ours = {canonical(CORPUS / row["file"]) for row in SOURCES} - {None}
    assert not ours & reference


@pytest.mark.parametrize("row", MANIFEST, ids=[row["file"] for row in MANIFEST])
def test_each_body_gives_its_expected_outcome(row: dict[str, str]) -> None:
    assert outcome(row["file"]).row(row["file"]) == row
