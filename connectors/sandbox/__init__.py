"""Local stand-ins for Meta's Graph API and Genesys Cloud, for tests and ``make run``."""
