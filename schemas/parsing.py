"""Helpers shared by the vendor models: route a JSON object by a tag, and describe errors.

Why not pydantic's discriminated unions: both vendors grow new tags (Meta's ``edit`` and
``revoke`` message types, Genesys's undocumented webhook types) that must parse as a fallback
model instead of failing a whole batch, and a callable ``Discriminator`` puts the tag into
every error location (``messages.0.text.text.body``), which makes the one-line errors we
report misleading. :func:`route_by_tag` validates with the chosen model directly, so the
locations stay those of the JSON document.

Why :class:`Rejected`: a vendor batches many items in one body (Meta's messages and
statuses), and one malformed item must not sink its siblings. :func:`tolerant` validates
each item on its own and keeps one that fails as a :class:`Rejected`, raw and with the
reason, for the caller to dead-letter alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from schemas.json_body import nested_deeper_than

ModelT = TypeVar("ModelT", bound=BaseModel)
ItemT = TypeVar("ItemT")


def route_by_tag(
    value: Any,
    *,
    tag: str,
    models: Mapping[str, type[ModelT]],
    fallback: type[ModelT] | None = None,
    fold_case: bool = False,
) -> ModelT:
    """Validate ``value`` with the model registered for its ``tag`` field.

    Args:
        value: the raw JSON object, or an already-built instance of one of the models.
        tag: the field that selects the model (``type`` for messages, ``field`` for changes).
        models: tag value -> model.
        fallback: the model for any other tag value; ``None`` makes unknown tags an error.
        fold_case: match the tag case-insensitively (``text`` selects the ``Text`` model,
            which must then accept the variant, see ``schemas.genesys._base.canonical_case``).

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
    if model is None and fold_case and isinstance(key, str):
        model = next((m for name, m in models.items() if name.casefold() == key.casefold()), None)
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


class Rejected(BaseModel):
    """A batch item that failed validation, kept as received so its siblings go on.

    Attributes:
        raw: the item exactly as decoded from the body.
        field: the JSON path of the first offending field, relative to the item (``body``
            for the item as a whole).
        reason: what is wrong with it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    raw: Any
    field: str
    reason: str

    def where(self, path: str) -> str:
        """The offending field as a path of the whole body, given the item's ``path``."""
        if self.field == "body":
            return path
        return f"{path}{'' if self.field.startswith('[') else '.'}{self.field}"


def reject(
    raw: Any, validate: Callable[[Any], ItemT], *, max_depth: int | None = None
) -> ItemT | Rejected:
    """``validate(raw)``, or the :class:`Rejected` item that says why it failed.

    ``max_depth`` refuses an item nested deeper than that many levels (it could not be
    serialized again; see :data:`schemas.json_body.MAX_DEPTH`).
    """
    if isinstance(raw, Rejected):
        return raw
    if max_depth is not None and nested_deeper_than(raw, max_depth):
        return Rejected(raw=raw, field="body", reason=f"nested deeper than {max_depth} levels")
    try:
        return validate(raw)
    except ValidationError as exc:
        field, reason = first_error(exc)
        return Rejected(raw=raw, field=field, reason=reason)
    except PydanticCustomError as exc:  # route_by_tag outside a validator: not an object...
        return Rejected(raw=raw, field="body", reason=exc.message())
    except RecursionError:
        return Rejected(raw=raw, field="body", reason="nested too deeply")


def tolerant(validate: Callable[[Any], ItemT], *, max_depth: int | None = None) -> WrapValidator:
    """A validator for a list item type: ``Annotated[Item | Rejected, tolerant(parse_item)]``.

    ``validate`` parses one item (``Model.model_validate``); whatever it refuses becomes a
    :class:`Rejected` instead of failing the list and everything around it.
    """

    def wrap(value: Any, _handler: Any) -> ItemT | Rejected:
        return reject(value, validate, max_depth=max_depth)

    return WrapValidator(wrap)
