"""``GET /media/{token}``: the customer's files, served to Genesys by signed, expiring links.

The route is public — Genesys fetches attachments without credentials of ours — so the
token is the authorization (:mod:`pipeline.media.links`): it names the tenant and the media
id, and the read runs in that tenant's row-level-security scope. A malformed, forged,
altered or expired token and an unknown or purged file all get the same 404, so a prober
learns nothing about which tokens or ids exist.

The bytes are the customer's, not ours: they are served with the type Meta gave, ``nosniff``
and a sandboxing CSP, so an HTML or SVG "photo" cannot run script on the gateway's origin;
``Cache-Control: private`` keeps shared caches from holding a copy past the link.

Also here: the retention purge, one background task per gateway replica (each deletes in
small batches, so replicas purging at once only share the work).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.helpers import content_disposition_header

from pipeline.gateway.keys import RESOURCES_KEY, SETTINGS_KEY
from pipeline.media.backend import open_media_store
from pipeline.media.errors import MediaLinkInvalidError
from pipeline.media.links import MediaLinkSigner
from pipeline.media.store import MediaStore

log = logging.getLogger(__name__)

MEDIA_STORE_KEY = web.AppKey("media_store", MediaStore)
MEDIA_SIGNER_KEY = web.AppKey("media_signer", MediaLinkSigner)

_SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}


async def serve_media(request: web.Request) -> web.Response:
    """The file a valid token grants, with its type, length and a private cache lifetime."""
    try:
        grant = request.app[MEDIA_SIGNER_KEY].verify(request.match_info["token"])
    except MediaLinkInvalidError as exc:
        log.info("media link refused", extra={"reason": exc.message})
        raise web.HTTPNotFound() from None
    media = await request.app[MEDIA_STORE_KEY].get(grant.tenant_id, grant.media_id)
    if media is None:
        log.info("media link to a file not stored", extra={"tenant_id": grant.tenant_id})
        raise web.HTTPNotFound()
    max_age = max(0, grant.expires_at - int(time.time()))
    headers = {
        **_SAFE_HEADERS,
        "Content-Type": media.mime_type,
        "Cache-Control": f"private, max-age={max_age}",
        "ETag": f'"{media.sha256_hex}"',
    }
    if media.filename:
        headers["Content-Disposition"] = content_disposition_header(
            "inline", filename=media.filename
        )
    return web.Response(body=media.data, headers=headers)


async def _purge_forever(store: MediaStore, interval_s: float) -> None:
    while True:
        try:
            purged = await store.purge_expired()
        except Exception as exc:
            # A dependency blip (or a bug, logged the same): the next round tries again.
            log.warning("media purge failed", extra={"error": type(exc).__name__})
        else:
            if purged:
                log.info("expired media purged", extra={"count": purged})
        await asyncio.sleep(interval_s)


async def _media_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS_KEY].media
    async with open_media_store(app[SETTINGS_KEY], app[RESOURCES_KEY]) as store:
        app[MEDIA_STORE_KEY] = store
        until = settings.link_previous_secret_until
        app[MEDIA_SIGNER_KEY] = MediaLinkSigner(
            settings.link_secret,
            previous=settings.link_previous_secret,
            previous_until=until.timestamp() if until else None,
        )
        purge = asyncio.create_task(_purge_forever(store, settings.purge_interval_s))
        try:
            yield
        finally:
            purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purge


def add_media_routes(app: web.Application) -> None:
    """Register ``GET /media/{token}`` and the media store's lifespan (after the resources')."""
    app.cleanup_ctx.append(_media_ctx)
    app.router.add_get("/media/{token}", serve_media)
