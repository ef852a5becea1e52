"""Helpers shared by the vendor models: route a JSON object by a tag, and describe errors.

Why not pydantic's discriminated unions: both vendors grow new tags (Meta's ``edit`` and
``revoke`` message types, Genesys's undocumented webhook types) that must parse as a fallback
model instead of failing a whole batch, and a callable ``Discriminator`` puts the tag into
every error location (``messages.0.text.text.body``), which makes the one-line errors we
report misleading. :func:`route_by_tag` validates with the chosen model directly, so the
locations stay those of the JSON document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

ModelT = TypeVar("ModelT", bound=BaseModel)


def route_by_tag(
    value: Any,
    *,
    tag: str,
    models: Mapping[str, type[ModelT]],
    fallback: type[ModelT] | None = None,
) -> ModelT:
    """Validate ``value`` with the model registered for its ``tag`` field.

    Args:
        value: the raw JSON object, or an already-built instance of one of the models.
        tag: the field that selects the model (``type`` for messages, ``field`` for changes).
        models: tag value -> model.
        fallback: the model for any other tag value; ``None`` makes unknown tags an error.

    Raises:
        ValidationError: from the chosen model, with locations relative to ``value``.
        PydanticCustomError: ``value`` is not an object, or its tag is unknown and there is
            no fallback (pydantic turns both into a ``ValidationError`` at the field).
    """
    candidates = (*models.values(), *((fallback,) if fallback is not None else ()))
    for model in candidates:
        if type(value) is model:
            built: ModelT = value  # already built, e.g. by a translator: nothing to re-check
            return built
    if not isinstance(value, Mapping):
        raise PydanticCustomError("model_type", "Input should be a JSON object")
    key = value.get(tag)
    model = models.get(key) if isinstance(key, str) else None
    if model is None:
        if fallback is None:
            raise PydanticCustomError(
                "union_tag_invalid",
                "'{tag}' is {key}; expected one of: {expected}",
                {"tag": tag, "key": repr(key), "expected": ", ".join(sorted(models))},
            )
        model = fallback
    return model.model_validate(value)


def error_path(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic location as a JSON path: ``entry[0].changes[0].value.metadata``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "body"


def first_error(exc: ValidationError, *, prefix: str = "") -> tuple[str, str]:
    """The JSON path of the first offending field, and what is wrong with it.

    Args:
        exc: the error to describe.
        prefix: a path to put in front of the location (the caller's position).
    """
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return prefix or "body", "invalid"
    path = error_path(tuple(errors[0]["loc"]))
    if prefix:
        path = prefix if path == "body" else f"{prefix}{'' if path.startswith('[') else '.'}{path}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return path, f"{errors[0]['msg']}{more}"


def describe_validation_error(exc: ValidationError, *, prefix: str = "") -> str:
    """One line naming the first offending field, e.g. ``messages[0].id: Field required``."""
    path, reason = first_error(exc, prefix=prefix)
    return f"{path}: {reason}"
