"""Translation between WhatsApp and Genesys Open Messaging: pure functions, no I/O.

WhatsApp -> Genesys: :func:`event_to_genesys` (messages, statuses, business-app echoes, the
customer's call attempts; webhook errors and preference changes yield nothing).
Genesys -> WhatsApp: :func:`parse_outbound` then :func:`outbound_to_meta` (or
:func:`event_to_meta` on a :class:`~schemas.events.GenesysOutboundReceived`). Both return the
HTTP calls wagen would make (:class:`GenesysCall`, :class:`MetaCall`), in order; run-time
ids and lookups come in through :class:`GenesysTarget` and :class:`MetaTarget`. The pipeline
and ``wagen translate`` use these same functions. Every mapping choice is in
``docs/mapping.md``.
"""

from connectors.translate.call_notices import CallbackNote, call_notice_to_genesys, notifies_agent
from connectors.translate.calls import (
    UPLOADED_MEDIA_ID,
    GenesysCall,
    GenesysEndpoint,
    MediaUpload,
    MetaCall,
    MetaEndpoint,
    UploadSource,
)
from connectors.translate.context import (
    CustomerLookup,
    GenesysTarget,
    MediaLinker,
    MetaTarget,
    OptOutLookup,
    Recipient,
    WamidLookup,
    customer_key,
    genesys_customer,
    meta_recipient,
)
from connectors.translate.echoes import echo_to_genesys
from connectors.translate.errors import GenesysPayloadError
from connectors.translate.meta_content import split_text
from connectors.translate.receipts import RECEIPT_STATUSES, status_to_genesys
from connectors.translate.to_genesys import event_to_genesys, message_to_genesys, referenced_wamids
from connectors.translate.to_meta import (
    ParsedOutbound,
    event_to_meta,
    outbound_to_meta,
    parse_outbound,
    read_outbound,
)

__all__ = [
    "RECEIPT_STATUSES",
    "UPLOADED_MEDIA_ID",
    "CallbackNote",
    "CustomerLookup",
    "GenesysCall",
    "GenesysEndpoint",
    "GenesysPayloadError",
    "GenesysTarget",
    "MediaLinker",
    "MediaUpload",
    "MetaCall",
    "MetaEndpoint",
    "MetaTarget",
    "OptOutLookup",
    "ParsedOutbound",
    "Recipient",
    "UploadSource",
    "WamidLookup",
    "call_notice_to_genesys",
    "customer_key",
    "echo_to_genesys",
    "event_to_genesys",
    "event_to_meta",
    "genesys_customer",
    "message_to_genesys",
    "meta_recipient",
    "notifies_agent",
    "outbound_to_meta",
    "parse_outbound",
    "read_outbound",
    "referenced_wamids",
    "split_text",
    "status_to_genesys",
]
