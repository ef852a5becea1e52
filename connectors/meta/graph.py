"""One Graph API call: tenant auth, timeout, request id, retries, and Meta's error classes.

:class:`GraphApi` is the low layer under :class:`~connectors.meta.client.MetaClient` and
:class:`~connectors.meta.media.MetaMedia`; both describe a call (path, body, whether it is
idempotent) and get back a successful response or a classified
:class:`~connectors.meta.errors.MetaError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from connectors.genesys.errors import parse_retry_after
from connectors.http import HttpResponse, HttpTransport, new_request_id
from connectors.meta.errors import classify_meta_error
from connectors.retry import call_with_retries
from connectors.settings import MetaClientSettings

VENDOR: Final = "meta"


@dataclass(frozen=True, slots=True)
class MetaAuth:
    """A tenant's Meta credentials for one call; the token never appears in a repr.

    Attributes:
        access_token: the system-user token, sent as ``Authorization: Bearer``.
        phone_number_id: the business number sending (the path of every send).
        tenant_id: the tenant, for errors and log lines.
    """

    access_token: str = field(repr=False)
    phone_number_id: str
    tenant_id: str | None = None

    def __post_init__(self) -> None:
        if not self.access_token:
            raise ValueError("MetaAuth needs an access token")
        if not self.phone_number_id.isdigit():
            raise ValueError("phone_number_id must be digits")

    @property
    def headers(self) -> dict[str, str]:
        """The per-request auth header."""
        return {"Authorization": f"Bearer {self.access_token}"}


def json_bytes(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as sent on the wire."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class GraphApi:
    """Makes Graph calls on the shared transport with one tenant's credentials each."""

    def __init__(self, transport: HttpTransport, settings: MetaClientSettings) -> None:
        self._transport = transport
        self.settings = settings
        self._policy = settings.retry

    def url(self, *segments: str) -> str:
        """``{graph_url}/{version}/{segment}/...``, each segment path-quoted."""
        path = "/".join(quote(segment, safe="") for segment in segments)
        return f"{self.settings.graph_url}/{self.settings.api_version}/{path}"

    async def call(
        self,
        auth: MetaAuth,
        method: str,
        url: str,
        *,
        operation: str,
        idempotent: bool,
        json_body: Mapping[str, Any] | None = None,
        data: Callable[[], Any] | None = None,
        params: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        max_bytes: int | None = None,
    ) -> HttpResponse:
        """Make the call, retrying transient failures; return the 2xx response.

        Args:
            auth: the tenant's token and number.
            method: the HTTP method.
            url: the absolute URL (:meth:`url`, or a media download URL).
            operation: names the call in errors and logs.
            idempotent: whether repeating it cannot double its effect (a send can).
            json_body: a JSON body, sent compact.
            data: builds a fresh body per attempt (a multipart form is single-use).
            params: query parameters.
            timeout_s: overrides the settings' timeout.
            max_bytes: the largest response body read.

        Raises:
            MetaError: the classified failure (``attempts`` says how many were made).
            ConnectorTransportError: no usable answer, after the retries allowed.
        """
        request_id = new_request_id()
        headers = dict(auth.headers)
        if json_body is not None:
            headers["Content-Type"] = "application/json"

        async def attempt(_number: int) -> HttpResponse:
            body = json_bytes(json_body) if json_body is not None else None
            response = await self._transport.request(
                method,
                url,
                vendor=VENDOR,
                operation=operation,
                timeout_s=timeout_s or self.settings.timeout_s,
                request_id=request_id,
                headers=headers,
                params=params,
                data=data() if data is not None else body,
                max_bytes=max_bytes or 1024 * 1024,
                tenant_id=auth.tenant_id,
            )
            if response.ok:
                return response
            raise classify_meta_error(
                response.status,
                response.body,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                tenant_id=auth.tenant_id,
            )

        return await call_with_retries(
            attempt, self._policy, idempotent=idempotent, what=f"{VENDOR} {operation}"
        )
