"""Operators' DLQ and held pages: entries listed, and replayed or released one at a time after
a confirmation page. The work is ``pipeline.ops``' (the CLI's own), audited per entry under
the operator's credential, with a journey row for the message."""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from pipeline.console.forms import read_form
from pipeline.console.state import state
from pipeline.console.views.common import actor_of, render
from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_EVENTS, WA_WEBHOOKS, dlq_topic, held_topic
from pipeline.ops.dlq import DlqEntry, Marks, parse_ref, read_marks, read_topic
from pipeline.ops.dlq_replay import entry_message, replay_entries
from pipeline.ops.held import HeldReleaser, held_reason

DLQ_SOURCES: Final = (WA_EVENTS, GENESYS_WEBHOOKS, WA_WEBHOOKS)
HELD_SOURCES: Final = (WA_EVENTS, GENESYS_WEBHOOKS)
SHOWN: Final = 200


def _source(request: web.Request, allowed: tuple[str, ...], value: str | None = None) -> str:
    source = value if value is not None else request.query.get("topic", allowed[0])
    if source not in allowed:
        raise web.HTTPNotFound()
    return source


def _ref(value: str | None) -> str:
    if not value:
        raise web.HTTPBadRequest(reason="no entry named")
    try:
        parse_ref(value)
    except ValueError:
        raise web.HTTPBadRequest(reason="not an entry reference") from None
    return value


async def _entries(
    request: web.Request, topic: str, refs: tuple[str, ...] = ()
) -> tuple[list[DlqEntry], Marks]:
    console = state(request)
    entries = [e async for e in read_topic(console.settings.kafka.servers, topic, refs)]
    return entries, await read_marks(console.resources.postgres, entries)


def _row(entry: DlqEntry, marks: Marks) -> dict[str, Any]:
    whose = entry_message(entry)
    return {
        **entry.summary(),
        "status": marks.status(entry),
        "replays": marks.replays[entry.ref],
        "message_id": whose[1] if whose else None,
    }


async def dlq_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/ops/dlq?topic=&tenant=``: newest first."""
    source = _source(request, DLQ_SOURCES)
    tenant = request.query.get("tenant", "").strip() or None
    entries, marks = await _entries(request, dlq_topic(source))
    chosen = [e for e in entries if tenant is None or e.tenant_id == tenant]
    rows = [_row(e, marks) for e in reversed(chosen) if e.ref not in marks.purged][:SHOWN]
    return render(
        request,
        "dlq.html",
        source=source,
        sources=DLQ_SOURCES,
        tenant=tenant or "",
        rows=rows,
        total=len(chosen),
        shown=SHOWN,
    )


async def dlq_confirm(request: web.Request) -> web.StreamResponse:
    """``GET /console/ops/dlq/confirm?topic=&ref=``: what a replay would do, and the button."""
    source = _source(request, DLQ_SOURCES)
    ref = _ref(request.query.get("ref"))
    entries, marks = await _entries(request, dlq_topic(source), (ref,))
    found = [e for e in entries if e.ref == ref]
    if not found:
        raise web.HTTPNotFound()
    return render(
        request, "confirm.html", action="replay", source=source, row=_row(found[0], marks)
    )


async def dlq_replay(request: web.Request) -> web.StreamResponse:
    """``POST /console/ops/dlq/replay``: one entry back to its source topic (audited)."""
    form = await read_form(request)
    source = _source(request, DLQ_SOURCES, form.get("topic", ""))
    ref = _ref(form.get("ref"))
    if form.get("confirm") != "yes":
        raise web.HTTPBadRequest(reason="replay not confirmed")
    entries, marks = await _entries(request, dlq_topic(source), (ref,))
    found = [e for e in entries if e.ref == ref]
    if not found:
        raise web.HTTPNotFound()
    console = state(request)
    [done] = await replay_entries(
        await console.producer.get(),
        console.resources.postgres,
        found,
        marks,
        force=form.get("force") == "yes",
        actor=actor_of(request),
    )
    return render(
        request,
        "outcome.html",
        action="replay",
        source=source,
        ref=done.ref,
        outcome=done.outcome,
        done=done.replayed,
        back=f"/console/ops/dlq?topic={source}",
    )


def _releaser(request: web.Request, source: str) -> HeldReleaser:
    console = state(request)
    return HeldReleaser(
        console.settings.kafka.servers,
        console.resources.postgres,
        console.tenancy,
        console.producer.publish,
        actor_of(request),
        source=source,
    )


def _held_row(entry: DlqEntry) -> dict[str, Any]:
    whose = entry_message(entry)
    at = entry.headers.get("held_at_ms", b"").decode()
    after = entry.headers.get("held_release_after_ms", b"").decode()
    return {
        "ref": entry.ref,
        "tenant_id": entry.tenant_id,
        "reason": held_reason(entry),
        "error": entry.headers.get("held_error", b"").decode(errors="replace"),
        "held_at_ms": int(at) if at.isdigit() else None,
        "release_after_ms": int(after) if after.isdigit() else None,
        "message_id": whose[1] if whose else None,
    }


async def held_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/ops/held?topic=&tenant=``: entries not released yet, newest first."""
    source = _source(request, HELD_SOURCES)
    tenant = request.query.get("tenant", "").strip() or None
    entries = await _releaser(request, source).held(tenant)
    rows = [_held_row(e) for e in reversed(entries)][:SHOWN]
    return render(
        request,
        "held.html",
        source=source,
        sources=HELD_SOURCES,
        tenant=tenant or "",
        rows=rows,
        total=len(entries),
        shown=SHOWN,
    )


async def held_confirm(request: web.Request) -> web.StreamResponse:
    """``GET /console/ops/held/confirm?topic=&ref=``."""
    source = _source(request, HELD_SOURCES)
    ref = _ref(request.query.get("ref"))
    entries = [
        e
        async for e in read_topic(state(request).settings.kafka.servers, held_topic(source), (ref,))
    ]
    found = [e for e in entries if e.ref == ref]
    if not found:
        raise web.HTTPNotFound()
    return render(request, "confirm.html", action="release", source=source, row=_held_row(found[0]))


async def held_release(request: web.Request) -> web.StreamResponse:
    """``POST /console/ops/held/release``: one entry back to its source topic (audited)."""
    form = await read_form(request)
    source = _source(request, HELD_SOURCES, form.get("topic", ""))
    ref = _ref(form.get("ref"))
    if form.get("confirm") != "yes":
        raise web.HTTPBadRequest(reason="release not confirmed")
    releaser = _releaser(request, source)
    found = [e for e in await releaser.held() if e.ref == ref]
    if not found:
        outcome, released = "not held (released before, or no such entry)", False
    else:
        [done] = await releaser.release(found, force=form.get("force") == "yes")
        outcome, released = done.outcome, done.outcome.startswith("released")
    return render(
        request,
        "outcome.html",
        action="release",
        source=source,
        ref=ref,
        outcome=outcome,
        done=released,
        back=f"/console/ops/held?topic={source}",
    )
