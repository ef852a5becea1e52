"""Where the shared vendor reference lives, and loaders for its recorded bodies and schemas.

The reference sits beside the repository (``../shared/reference``), locally and in CI. A
missing reference is an error at import, never a silent skip of the contract tests.
"""

from __future__ import annotations

import copy
import csv
import json
from functools import cache
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator

REPO_ROOT = Path(__file__).resolve().parents[3]
REFERENCE = REPO_ROOT.parent / "shared" / "reference"
META_SAMPLES = REFERENCE / "meta" / "samples"
META_EXAMPLES = REFERENCE / "meta" / "examples"
GENESYS_EXAMPLES = REFERENCE / "genesys" / "examples"
GENESYS_SCHEMAS = REFERENCE / "genesys" / "schema"

if not REFERENCE.is_dir():
    raise RuntimeError(f"the vendor reference is missing: expected it at {REFERENCE}")


def load_json(path: Path) -> Any:
    """The JSON value of a reference file."""
    return json.loads(path.read_text(encoding="utf-8"))


def read_tsv(path: Path) -> list[dict[str, str]]:
    """The rows of a reference TSV file (MANIFEST.tsv, EXPECTED.tsv), keyed by header."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def meta_sample_names() -> list[str]:
    """The file names MANIFEST.tsv lists, in its order."""
    return [row["file"] for row in read_tsv(META_SAMPLES / "MANIFEST.tsv")]


def genesys_validator(kind: str, *, overlays: bool = False) -> Draft202012Validator:
    """The strict JSON Schema validator of a Genesys payload kind (``inbound-message``...).

    ``overlays`` picks the variant that also allows the fields seen on the wire but missing
    from Genesys's typed models.
    """
    folder = "jsonschema-with-overlays" if overlays else "jsonschema"
    schema = load_json(GENESYS_SCHEMAS / folder / f"{kind}.schema.json")
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(kind: str, body: Any, *, overlays: bool = False) -> list[str]:
    """Every message the strict schema of ``kind`` has about ``body`` (empty when valid)."""
    validator = genesys_validator(kind, overlays=overlays)
    return [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]


WAGEN_OVERLAYS: Final = frozenset({("ConversationChannelMetadata", "customAttributes")})
"""The overlay fields wagen sends on purpose, as (model, property) of ``overlays.json``.

Only these: the strict schema plus exactly these is wagen's contract for the bodies it
sends (``docs/mapping.md`` names each with its sources). Every other overlay stays refused.
"""


@cache
def _wagen_schema(kind: str) -> dict[str, Any]:
    strict = load_json(GENESYS_SCHEMAS / "jsonschema" / f"{kind}.schema.json")
    overlaid = load_json(GENESYS_SCHEMAS / "jsonschema-with-overlays" / f"{kind}.schema.json")
    schema: dict[str, Any] = copy.deepcopy(strict)
    for model, prop in WAGEN_OVERLAYS:
        if model in schema["$defs"]:
            added = overlaid["$defs"][model]["properties"][prop]
            schema["$defs"][model]["properties"][prop] = added
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def wagen_validator(kind: str) -> Draft202012Validator:
    """The validator of wagen's contract for ``kind``: strict + :data:`WAGEN_OVERLAYS`."""
    return Draft202012Validator(_wagen_schema(kind))


def wagen_schema_errors(kind: str, body: Any) -> list[str]:
    """Every message wagen's contract (strict + :data:`WAGEN_OVERLAYS`) has about ``body``."""
    validator = wagen_validator(kind)
    return [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]


def without_wagen_overlays(body: Any) -> Any:
    """``body`` without the fields of :data:`WAGEN_OVERLAYS` (what the strict schema sees)."""
    stripped = copy.deepcopy(body)
    channel = stripped.get("channel") if isinstance(stripped, dict) else None
    if not isinstance(channel, dict):
        return stripped
    metadata = channel.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("customAttributes", None)
        if not metadata:
            del channel["metadata"]
    return stripped
