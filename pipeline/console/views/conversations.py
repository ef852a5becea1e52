"""A tenant's conversations (search by customer, paging), one conversation's messages, and
one message's journey."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from pipeline.console.state import page_tenant, state
from pipeline.console.timeline import correlation_ids, timeline
from pipeline.console.views.common import render, see_other
from pipeline.store import conversations
from pipeline.store.journey_reads import conversation_messages, read_journey
from tenancy.errors import InvalidRequestError

PAGE = 25
MESSAGES = 50
MAX_ID = 300


async def conversations_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/t/{tenant}/conversations?q=&cursor=``."""
    tenant = page_tenant(request)
    query = request.query.get("q", "")
    error = None
    if "\x00" in query or len(query) > conversations.MAX_QUERY:
        error, query = "Search for at most 100 characters of a name or a WhatsApp number.", ""
    cursor = request.query.get("cursor") or None
    try:
        page = await conversations.search(
            state(request).resources.postgres,
            tenant.tenant_id,
            query=query or None,
            limit=PAGE,
            cursor=cursor,
        )
    except InvalidRequestError:
        raise web.HTTPNotFound() from None  # a cursor we never gave out
    status = 400 if error else 200
    return render(
        request, "conversations.html", status, tenant=tenant, page=page, query=query, error=error
    )


async def conversation_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/t/{tenant}/conversations/{wa_id}``: the mapping and latest messages."""
    tenant = page_tenant(request)
    wa_id = request.match_info["wa_id"]
    tenancy = state(request).tenancy
    mapping = await tenancy.state.get_mapping(tenant.tenant_id, wa_id)  # 404 when not ours
    messages = await conversation_messages(
        state(request).resources.postgres, tenant.tenant_id, wa_id, limit=MESSAGES
    )
    return render(request, "conversation.html", tenant=tenant, mapping=mapping, messages=messages)


async def find_message(request: web.Request) -> web.StreamResponse:
    """``GET /console/t/{tenant}/messages?id=``: the lookup form's target."""
    tenant = page_tenant(request)
    wanted = request.query.get("id", "").strip()
    if not wanted or len(wanted) > MAX_ID or "\x00" in wanted or "/" in wanted:
        page = await conversations.search(
            state(request).resources.postgres, tenant.tenant_id, query=None, limit=PAGE, cursor=None
        )
        return render(
            request,
            "conversations.html",
            400,
            tenant=tenant,
            page=page,
            query="",
            error="Paste a WhatsApp message id (wamid.…) or a Genesys message id.",
        )
    return see_other(f"/console/t/{tenant.tenant_id}/messages/{quote(wanted, safe='')}")


async def journey_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/t/{tenant}/messages/{message}``: everything wagen stored about it."""
    tenant = page_tenant(request)
    message_id = request.match_info["message"]
    journey = await read_journey(state(request).resources.postgres, tenant.tenant_id, message_id)
    if journey is None:
        raise web.HTTPNotFound()
    return render(
        request,
        "journey.html",
        tenant=tenant,
        journey=journey,
        moments=timeline(journey),
        correlation_ids=correlation_ids(journey),
    )
