"""Readable text for the WhatsApp messages Open Messaging has no shape for.

Genesys takes text and attachments only (reference ``genesys-open-messaging.md`` section 2:
"WhatsApp types with no Open Messaging equivalent: convert to text"), so a location, a contact
card, a reaction, an order or a Flow answer is written out for the agent, in English, with
every fact the agent may act on. Each renderer also returns ``facts``: flat strings that go
into the message ``metadata`` so an Architect flow or a report can use them without parsing
the text. Nothing here drops a message: what cannot be shown becomes a placeholder naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import ValidationError

from connectors.translate.context import WamidLookup
from schemas.meta.calls import CallPermissionReply
from schemas.meta.content import (
    ButtonReplyInteractive,
    ListReplyInteractive,
    Location,
    NfmReplyInteractive,
    Order,
    OtherInteractive,
    ProductItem,
    QuickReplyButton,
    SharedContact,
    System,
)
from schemas.meta.errors import ErrorObject

QUOTE_MAX: Final = 200
"""Longest excerpt of a quoted message; the agent has the full message in the transcript."""

MAP_LINK: Final = "https://www.google.com/maps/search/?api=1&query={latitude},{longitude}"
"""Google's documented cross-platform search URL: opens the pin in any browser or the app."""


@dataclass(frozen=True, slots=True)
class Rendition:
    """What a WhatsApp message becomes for the agent: text, and facts for ``metadata``."""

    text: str
    facts: dict[str, str] = field(default_factory=dict)


def quote(text: str) -> str:
    """``“text”``, shortened to :data:`QUOTE_MAX` characters."""
    flat = " ".join(text.split())
    if len(flat) > QUOTE_MAX:
        flat = flat[: QUOTE_MAX - 1].rstrip() + "…"
    return f"“{flat}”"


def referred_message(message_id: str, quoted: str | None) -> str:
    """How a message the customer refers to is named: its text when tracked, else its id."""
    return quote(quoted) if quoted else f"message {message_id}"


def location(value: Location) -> Rendition:
    """Name, address, coordinates and a map link (a *current* location has only coordinates)."""
    lines = ["Location" + (f": {value.name}" if value.name else " shared")]
    if value.address:
        lines.append(value.address)
    lines.append(f"Coordinates: {value.latitude}, {value.longitude}")
    lines.append(MAP_LINK.format(latitude=value.latitude, longitude=value.longitude))
    if value.url:
        lines.append(value.url)
    facts = {"latitude": str(value.latitude), "longitude": str(value.longitude)}
    return Rendition("\n".join(lines), facts)


def _labelled(value: str | None, label: str | None) -> str | None:
    return None if not value else f"{value} ({label})" if label else value


def _card(card: SharedContact) -> list[str]:
    name = (card.name.formatted_name or card.name.first_name) if card.name else None
    lines = [f"Contact: {name or 'no name'}"]
    for phone in card.phones or ():
        label = ", ".join(filter(None, (phone.type, "on WhatsApp" if phone.wa_id else None)))
        if entry := _labelled(phone.phone or phone.wa_id, label):
            lines.append(f"  Phone: {entry}")
    for email in card.emails or ():
        if entry := _labelled(email.email, email.type):
            lines.append(f"  Email: {entry}")
    if card.org and (org := ", ".join(filter(None, (card.org.company, card.org.department)))):
        lines.append(f"  Organization: {org}" + (f" ({card.org.title})" if card.org.title else ""))
    for address in card.addresses or ():
        parts = (address.street, address.city, address.state, address.zip, address.country)
        if entry := _labelled(", ".join(filter(None, parts)), address.type):
            lines.append(f"  Address: {entry}")
    for url in card.urls or ():
        if entry := _labelled(url.url, url.type):
            lines.append(f"  Website: {entry}")
    if card.birthday:
        lines.append(f"  Birthday: {card.birthday}")
    return lines


def contacts(cards: Iterable[SharedContact]) -> Rendition:
    """Every card with its phones (marked when on WhatsApp), e-mails, organization, addresses."""
    cards = list(cards)
    lines = [line for card in cards for line in _card(card)]
    return Rendition("\n".join(lines) or "Contact card (empty)", {"contact_cards": str(len(cards))})


def reaction(message_id: str, emoji: str | None, quoted: str | None) -> Rendition:
    """The emoji and the message it is on; no emoji means the reaction was removed."""
    target = referred_message(message_id, quoted)
    facts = {"reaction_to_message_id": message_id}
    if not emoji:
        return Rendition(f"Removed their reaction to {target}", facts)
    return Rendition(f"Reacted {emoji} to {target}", {**facts, "reaction_emoji": emoji})


def _amount(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _order_line(item: ProductItem) -> str:
    quantity = f"{item.quantity} x " if item.quantity is not None else ""
    line = f"- {quantity}{item.product_retailer_id}"
    if item.item_price is not None:
        line += f" at {_amount(item.item_price)}" + (f" {item.currency}" if item.currency else "")
    return line


def order(value: Order) -> Rendition:
    """Each line with quantity and price, the total when there is one currency, the note.

    Meta documents a price and currency on every item, but carts from catalogs without
    prices come without them: the items are listed as they are, and the total only when
    every item has a quantity, a price and the same currency.
    """
    lines = [f"Order from catalog {value.catalog_id}:"]
    lines.extend(_order_line(item) for item in value.product_items)
    currencies = {item.currency for item in value.product_items}
    priced = all(
        item.quantity is not None and item.item_price is not None for item in value.product_items
    )
    if value.product_items and priced and len(currencies) == 1 and None not in currencies:
        total = sum((item.quantity or 0) * (item.item_price or 0.0) for item in value.product_items)
        lines.append(f"Total: {_amount(total)} {currencies.pop()}")
    if value.text:
        lines.append(f"Note: {value.text}")
    facts = {"catalog_id": value.catalog_id, "order_items": str(len(value.product_items))}
    return Rendition("\n".join(lines), facts)


def system(value: System) -> Rendition:
    """Meta's own sentence (e.g. "User A changed from X to Y"); the new ``wa_id`` as a fact."""
    facts = {
        "system_type": value.type or "",
        "system_new_wa_id": value.wa_id or "",
        "system_new_user_id": value.user_id or "",
    }
    text = value.body or f"WhatsApp system notice ({value.type or 'no type'})"
    return Rendition(f"System: {text}", {k: v for k, v in facts.items() if v})


def _error_facts(errors: list[ErrorObject] | None) -> dict[str, str]:
    if not errors:
        return {}
    first = errors[0]
    details = first.error_data.details if first.error_data else None
    facts = {"error_code": str(first.code), "error_details": details or first.title or ""}
    return {k: v for k, v in facts.items() if v}


def unsupported(kind: str | None, errors: list[ErrorObject] | None) -> Rendition:
    """A placeholder naming what WhatsApp could not deliver (poll, album...) when it says."""
    what = f" ({kind})" if kind else ""
    text = f"The customer sent a message WhatsApp cannot deliver to businesses{what}."
    facts = _error_facts(errors)
    if kind:
        facts["unsupported_type"] = kind
    return Rendition(text, facts)


def text_of(raw: Any) -> str | None:
    """The text or caption of a raw message object (the new version inside an ``edit``)."""
    if not isinstance(raw, Mapping):
        return None
    content = raw.get(raw.get("type")) if isinstance(raw.get("type"), str) else None
    if isinstance(content, Mapping):
        for key in ("body", "caption"):
            if isinstance(content.get(key), str) and content[key]:
                return str(content[key])
    return None


def unknown(
    kind: str,
    extra: Mapping[str, Any],
    problem: str | None,
    errors: list[ErrorObject] | None,
    quoted_text: WamidLookup,
) -> Rendition:
    """A message wagen does not model: ``edit`` and ``revoke`` in words, others by type.

    ``quoted_text`` is the tracking lookup (wamid -> text) naming the revoked or edited
    message.
    """
    facts = _error_facts(errors)
    if problem:
        facts["parse_problem"] = problem
    body = extra.get(kind)
    original = body.get("original_message_id") if isinstance(body, Mapping) else None
    if kind == "revoke" and isinstance(original, str):
        facts["revoked_message_id"] = original
        target = referred_message(original, quoted_text(original))
        return Rendition(f"The customer deleted {target}.", facts)
    if kind == "edit" and isinstance(original, str) and isinstance(body, Mapping):
        facts["edited_message_id"] = original
        new_text = text_of(body.get("message"))
        edited = f": {new_text}" if new_text else " (no text in the new version)."
        target = referred_message(original, quoted_text(original))
        return Rendition(f"The customer edited {target}{edited}", facts)
    return Rendition(f"The customer sent a message wagen cannot show yet (type '{kind}').", facts)


def interactive(
    value: ButtonReplyInteractive | ListReplyInteractive | NfmReplyInteractive | OtherInteractive,
) -> Rendition:
    """A tapped button or list row as its title; a Flow answer as its fields."""
    if isinstance(value, ButtonReplyInteractive):
        reply = value.button_reply
        return Rendition(reply.title, {"button_reply_id": reply.id})
    if isinstance(value, ListReplyInteractive):
        row = value.list_reply
        text = f"{row.title}\n{row.description}" if row.description else row.title
        return Rendition(text, {"list_reply_id": row.id})
    if isinstance(value, NfmReplyInteractive):
        return _flow_answer(value)
    kind = value.type
    if kind == "call_permission_reply":
        answer = call_permission(value.model_extra or {})
        if answer is not None:
            return answer
    text = f"The customer answered an interactive message wagen cannot show (type '{kind}')."
    return Rendition(text, {"interactive_type": kind})


def call_permission(extra: Mapping[str, Any]) -> Rendition | None:
    """The customer's answer to a call-permission request; ``None`` when malformed."""
    try:
        reply = CallPermissionReply.model_validate(extra.get("call_permission_reply"))
    except ValidationError:
        return None
    facts = {"call_permission_response": reply.response}
    if reply.response_source:
        facts["call_permission_source"] = reply.response_source
    if reply.response.casefold() != "accept":
        return Rendition("The customer declined to be called on WhatsApp.", facts)
    if reply.is_permanent:
        facts["call_permission_permanent"] = "true"
        return Rendition("The customer allows you to call them on WhatsApp.", facts)
    until = reply.expires_at
    if until is None:
        return Rendition("The customer allows you to call them on WhatsApp.", facts)
    facts["call_permission_expires_at"] = until.strftime("%Y-%m-%dT%H:%M:%SZ")
    when = until.strftime("%Y-%m-%d %H:%M UTC")
    return Rendition(f"The customer allows you to call them on WhatsApp until {when}.", facts)


def _flow_answer(value: NfmReplyInteractive) -> Rendition:
    reply = value.nfm_reply
    answers = reply.response()
    facts = {"flow_name": reply.name or ""}
    if answers is None:
        # Not a JSON object: show what Meta sent rather than nothing.
        lines = [reply.body or reply.response_json]
    else:
        token = answers.pop("flow_token", None)
        facts["flow_token"] = token if isinstance(token, str) else ""
        lines = [f"{key}: {answer}" for key, answer in answers.items()]
    title = f"Form answered ({reply.name})" if reply.name else "Form answered"
    return Rendition("\n".join([f"{title}:", *lines]), {k: v for k, v in facts.items() if v})


def button(value: QuickReplyButton) -> Rendition:
    """A template's quick-reply button as its text; the payload as a fact."""
    return Rendition(value.text, {"button_payload": value.payload} if value.payload else {})
