"""Bodies Genesys POSTs to wagen, built the same way for every test that needs one."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any


def agent_webhook(
    integration_id: str, customer: str, *, genesys_id: str | None = None, **content: Any
) -> bytes:
    """An agent's outbound webhook to ``customer`` (digits, no ``+``), as Genesys POSTs it.

    ``content`` gives the message: ``text=...``, ``content=[...]``; ``genesys_id`` defaults to
    a fresh id, which is also the channel's ``messageId``.
    """
    ident = genesys_id or uuid.uuid4().hex
    body = {
        "id": ident,
        "channel": {
            "id": integration_id,
            "platform": "Open",
            "type": "Private",
            "to": {"id": f"+{customer}", "idType": "Phone"},
            "from": {"id": integration_id, "idType": "Opaque", "nickname": "Agent"},
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "messageId": ident,
        },
        "type": "Text",
        "direction": "Outbound",
        **content,
    }
    return json.dumps(body).encode()
