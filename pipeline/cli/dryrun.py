"""``wagen parse`` and ``wagen translate``: the pipeline's parsing and translation, dry.

For operators and debugging: feed a recorded vendor body (a file, or ``-`` for stdin) and see
the events wagen would produce or the HTTP calls it would make, one compact JSON line each,
keys sorted. Nothing is sent and nothing is stored. The code paths are the pipeline's own
(:func:`~connectors.meta.webhook.split_webhook`, :mod:`connectors.translate`); only the
run-time facts differ: ids known from the tenant's record or from tracking appear as
placeholders (``{integrationId}``, ``{phone-number-id}``, ``{media-base-url}/<media id>``,
``{genesys-message-id:<wamid>}``, ``{last-inbound-wamid:<customer>}``) unless ``--tenant``
supplies them. Media links are not signed in a dry run.

Exit codes: 0 done (no lines: a valid body with nothing to forward), 2 the body is invalid
(one line on stderr naming the field) or the options are. A Meta body whose envelope is fine
but some of whose items are not prints the lines of the good items and exits 2 with one
``error:`` line per rejected item, as the pipeline forwards the good ones and dead-letters
the others. ``note:`` lines on stderr say what was repaired (a lone UTF-16 surrogate
replaced by U+FFFD) or ignored (``request_welcome``, an unknown Genesys type). Whatever
else goes wrong is one ``error:`` line and exit 1, never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    # Imported where used: `wagen parse --help` must stay light, a dry run load the parser only.
    from connectors.meta.webhook import WebhookSplit
    from pipeline.cli.dryrun_tenant import DryRunTenant

CommandT = TypeVar("CommandT", bound=Callable[..., Any])


TENANT_HELP = (
    "Run-time facts instead of placeholders: KEY=VALUE (repeatable), or a JSON file holding "
    "an object with those keys. Keys: tenant_id (default dry-run), integration_id, "
    "phone_number_id, media_base_url (media links become MEDIA_BASE_URL/<media id>, unsigned)."
)
RECEIVED_HELP = (
    "When the body was received, ISO 8601 with a time zone (default: now); fix it for "
    "reproducible output (received_at, and the timestamp of webhook errors)."
)


def _say(kind: str, message: str) -> None:
    click.echo(f"{kind}: {' '.join(message.split())}", err=True)


def _fail(message: str) -> NoReturn:
    _say("error", message)
    sys.exit(2)


def _no_traceback(command: CommandT) -> CommandT:
    """Any failure the command did not foresee: one ``error:`` line and exit 1."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}".encode(errors="backslashreplace").decode()
            _say("error", f"internal: wagen could not handle this body ({detail})")
            sys.exit(1)

    return guarded  # type: ignore[return-value]  # same signature, wrapped


def _tenant_fields(value: str) -> dict[str, Any]:
    if "=" in value:
        key, _, item = value.partition("=")
        return {key.strip(): item.strip()}
    try:
        loaded = json.loads(Path(value).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = f"{value}: not KEY=VALUE nor a readable JSON file ({exc})"
        raise click.BadParameter(reason) from exc
    if not isinstance(loaded, dict):
        raise click.BadParameter(f"{value}: the JSON file must hold an object")
    return loaded


def _tenant(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> DryRunTenant:
    from pydantic import ValidationError

    from pipeline.cli.dryrun_tenant import DryRunTenant
    from schemas.parsing import describe_validation_error

    fields: dict[str, Any] = {}
    for value in values:
        fields.update(_tenant_fields(value))
    try:
        return DryRunTenant.model_validate(fields)
    except ValidationError as exc:
        raise click.BadParameter(describe_validation_error(exc)) from exc


def _received_at(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date-time") from exc
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone (add Z or +00:00)")
    return parsed


def _options(command: CommandT) -> CommandT:
    """The options every dry-run command takes, and its FILE argument."""
    command = click.option(
        "--received-at", callback=_received_at, metavar="DATETIME", help=RECEIVED_HELP
    )(command)
    command = click.option(
        "--tenant",
        multiple=True,
        callback=_tenant,
        metavar="KEY=VALUE|FILE",
        help=TENANT_HELP,
    )(command)
    command = click.argument("source", metavar="FILE|-", type=click.File("rb"))(command)
    return _no_traceback(command)


def _emit(values: Iterable[dict[str, Any]]) -> None:
    for value in values:
        click.echo(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def _meta_split(source: BinaryIO, tenant: DryRunTenant, received_at: datetime) -> WebhookSplit:
    """The split of a Meta body, its notes said; a broken envelope exits 2 here."""
    from connectors.meta.payload import MetaPayloadError
    from connectors.meta.webhook import split_body

    try:
        split = split_body(source.read(), tenant.tenant_id, received_at)
    except MetaPayloadError as exc:
        _fail(f"{exc.field}: {exc.reason}")
    for path in split.repaired:
        _say("note", f"{path}: a lone UTF-16 surrogate or NUL replaced by U+FFFD")
    for item in split.ignored:
        _say("note", f"{item.path}: ignored: {item.reason}")
    return split


def _rejected_exit(split: WebhookSplit) -> None:
    """One ``error:`` line per rejected item, then exit 2 (nothing when none was)."""
    if not split.rejected:
        return
    for item in split.rejected:
        _say("error", f"{item.field}: {item.reason}")
    sys.exit(2)


@click.group()
def parse() -> None:
    """Parse a vendor webhook body into wagen's events (dry run)."""


@parse.command("meta")
@_options
def parse_meta(source: BinaryIO, tenant: DryRunTenant, received_at: datetime) -> None:
    """One JSON line per event of a Meta webhook body: each message, status and error, and
    each call event, business-app echo and marketing-preference change.

    Each line is the event envelope (kind, message_id, customer, type, phone_number_id,
    timestamp, event_id, tenant_id, received_at, payload...). Other changes (account
    updates, template statuses, call statuses) yield no line.
    """
    split = _meta_split(source, tenant, received_at)
    _emit(event.model_dump(mode="json") for event in split.events)
    _rejected_exit(split)


@click.group()
def translate() -> None:
    """Translate a vendor body into the HTTP calls wagen would make (dry run)."""


@translate.command("meta-to-genesys")
@_options
def meta_to_genesys(source: BinaryIO, tenant: DryRunTenant, received_at: datetime) -> None:
    """One JSON line {method, path, body} per Genesys call a Meta webhook body causes.

    Messages become inbound messages or structured responses; delivered and failed statuses
    become receipts; business-app echoes become marked messages and a customer's call attempt
    a notice; sent/read statuses, webhook errors and preference changes yield nothing.
    """
    from connectors.translate import event_to_genesys

    target = tenant.genesys_target()
    split = _meta_split(source, tenant, received_at)
    _emit(call.as_json() for event in split.events for call in event_to_genesys(event, target))
    _rejected_exit(split)


@translate.command("genesys-to-meta")
@_options
def genesys_to_meta(source: BinaryIO, tenant: DryRunTenant, received_at: datetime) -> None:
    """One JSON line {method, path, body} per Meta call a Genesys outbound webhook causes.

    Attachments are an upload (/media) then a send whose media id is {uploaded-media-id};
    typing is a mark-as-read with typing indicator; receipts and unknown types yield nothing.
    """
    from connectors.translate import GenesysPayloadError, event_to_meta, read_outbound
    from schemas.events import GenesysOutboundReceived
    from schemas.genesys.webhook import OpenUnknownNormalizedMessage

    try:
        parsed = read_outbound(source.read(), tenant_id=tenant.tenant_id)
        for path in parsed.repaired:
            _say("note", f"{path}: a lone UTF-16 surrogate or NUL replaced by U+FFFD")
        event = GenesysOutboundReceived.from_webhook(parsed.message, tenant.tenant_id, received_at)
        calls = event_to_meta(event, tenant.meta_target())
    except GenesysPayloadError as exc:
        _fail(f"{exc.field}: {exc.reason}")
    if isinstance(parsed.message, OpenUnknownNormalizedMessage):
        _say("note", f"type: {parsed.message.type!r} is not a type wagen sends; nothing to do")
    _emit(call.as_json() for call in calls)
