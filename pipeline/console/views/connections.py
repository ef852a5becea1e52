"""A tenant's connections: the health of each (see :mod:`pipeline.console.doctor`) and the
write-only credentials form.

The form's fields come from the credential models tenancy validates with, so the form asks
for exactly what the API takes; secrets are password inputs, never filled in, never echoed,
and the page shows only the stored metadata (type, version, time, fingerprint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from pipeline.console.errors import FormError
from pipeline.console.forms import field_message, read_form
from pipeline.console.state import page_tenant, state
from pipeline.console.views.common import actor_of, render, see_other
from tenancy.credential_models import CREDENTIAL_TYPES, INPUT_MODELS, CredentialType
from tenancy.credentials import validate_input
from tenancy.errors import (
    ConflictError,
    InvalidRequestError,
    UnprocessableError,
    VendorUnavailableError,
)
from tenancy.http.context import ONBOARDING_KEY
from tenancy.models import CredentialsWrite

_SECRET = re.compile(r"(secret|token)", re.IGNORECASE)
_TITLES = {"meta": "Meta (WhatsApp Cloud API)", "genesys": "Genesys Cloud (Open Messaging)"}


@dataclass(frozen=True)
class Field:
    """One input of a credentials form."""

    name: str
    label: str
    required: bool
    secret: bool


def _label(alias: str) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", alias).lower().split()
    named = [{"id": "ID", "waba": "WABA"}.get(w, w) for w in words]
    text = " ".join(named)
    return text[0].upper() + text[1:]


def fields_of(kind: CredentialType) -> list[Field]:
    """The inputs for one credential type (what the admin API takes), in the model's order."""
    found = []
    for name, info in INPUT_MODELS[kind].model_fields.items():
        alias = info.alias or name
        found.append(Field(alias, _label(alias), info.is_required(), bool(_SECRET.search(name))))
    return found


async def _page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    tenant = page_tenant(request)
    connections = await state(request).doctor.examine(tenant.tenant_id)
    forms = {kind: fields_of(kind) for kind in CREDENTIAL_TYPES}
    context: dict[str, Any] = {
        "tenant": tenant,
        "connections": connections,
        "forms": forms,
        "labels": {kind: {f.name: f.label for f in inputs} for kind, inputs in forms.items()},
        "titles": _TITLES,
        "errors": {},
        "error_kind": None,
        "error": None,
        "values": {},
        "notice": "Credentials stored as a new version." if "stored" in request.query else None,
    }
    return render(request, "connections.html", status, **{**context, **extra})


async def connections_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/t/{tenant}/connections``."""
    return await _page(request)


async def put_credentials(request: web.Request) -> web.StreamResponse:
    """``POST /console/t/{tenant}/credentials``: checked live and provisioned at the vendor
    (the admin API's onboarding), then a new Vault version; no secret is shown back."""
    tenant = page_tenant(request)
    form = await read_form(request)
    kind = form.get("type")
    if kind not in CREDENTIAL_TYPES:
        return await _page(request, 400, error="Choose Meta or Genesys credentials.")
    names = [f.name for f in fields_of(kind)]
    # Empty optional inputs are "not given"; the model decides what is required.
    given = {name: form[name] for name in names if form.get(name, "").strip()}
    public = {f.name: given.get(f.name, "") for f in fields_of(kind) if not f.secret}
    try:
        try:
            validate_input(kind, given)
        except InvalidRequestError as exc:
            problems: dict[str, str] = {}
            for e in exc.errors:
                alias = str(e["loc"][-1]) if e.get("loc") else "form"
                problems.setdefault(alias, field_message(alias, e))
            raise FormError(problems) from None
        body = CredentialsWrite(type=kind, credentials=given)
        await request.config_dict[ONBOARDING_KEY].connect(tenant.tenant_id, body, actor_of(request))
    except FormError as exc:
        return await _page(
            request, 400, errors=exc.fields, error_kind=kind, error=exc.summary, values=public
        )
    except (
        ConflictError,
        InvalidRequestError,
        UnprocessableError,
        VendorUnavailableError,
    ) as exc:
        status = {ConflictError: 409, UnprocessableError: 422, VendorUnavailableError: 503}
        code = next((s for cls, s in status.items() if isinstance(exc, cls)), 400)
        return await _page(
            request, code, error_kind=kind, error=f"Not stored: {exc.message}.", values=public
        )
    return see_other(f"/console/t/{tenant.tenant_id}/connections?stored=1")


async def connections_live(request: web.Request) -> web.StreamResponse:
    """``GET /console/t/{tenant}/connections/live``: the health part alone, for ``live.js``."""
    tenant = page_tenant(request)
    connections = await state(request).doctor.examine(tenant.tenant_id)
    return render(
        request, "_connections_health.html", tenant=tenant, connections=connections, titles=_TITLES
    )
