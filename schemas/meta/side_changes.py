"""The change kinds wagen models besides ``messages``, by their ``field``.

Each is an :class:`~schemas.meta.envelope.OtherChange` subclass, so a consumer that ignores
other changes keeps ignoring them; the split (:mod:`connectors.meta.side_events`) turns them
into events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from schemas.meta.calls import CallsChange
from schemas.meta.echoes import EchoesChange
from schemas.meta.envelope import OtherChange
from schemas.meta.preferences import UserPreferencesChange

SIDE_CHANGE_MODELS: Final[Mapping[str, type[OtherChange]]] = {
    "calls": CallsChange,
    "smb_message_echoes": EchoesChange,
    "user_preferences": UserPreferencesChange,
}
"""``field`` -> model of the change."""
