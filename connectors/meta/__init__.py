"""The Meta WhatsApp Cloud API side of the connectors."""
