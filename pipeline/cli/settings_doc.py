"""Renders the settings reference of the README from the settings models themselves.

The README table is generated, and a test checks it matches, so the two cannot drift.
"""

from __future__ import annotations

from pydantic import BaseModel, SecretStr

from pipeline.settings import WagenSettings


def _default_text(value: object) -> str:
    if isinstance(value, SecretStr):
        return f"`{value.get_secret_value()}` (dev stack only)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def settings_rows() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting."""
    rows: list[tuple[str, str, str]] = []
    for section_name, section_field in WagenSettings.model_fields.items():
        section = section_field.default
        if not isinstance(section, BaseModel):
            # A top-level switch such as WAGEN_SANDBOX.
            env = f"WAGEN_{section_name}".upper()
            rows.append((env, _default_text(section), section_field.description or ""))
            continue
        for name, field in type(section).model_fields.items():
            env = f"WAGEN_{section_name}_{name}".upper()
            rows.append((env, _default_text(getattr(section, name)), field.description or ""))
    return rows


def settings_table() -> str:
    """The Markdown table of every setting."""
    lines = ["| variable | default | what it sets |", "|---|---|---|"]
    lines += [f"| `{env}` | {default} | {doc} |" for env, default, doc in settings_rows()]
    return "\n".join(lines)
