"""The Genesys Cloud Open Messaging side of the connectors."""
