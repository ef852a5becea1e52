"""Connecting a tenant to Genesys and Meta: credentials checked live, the Genesys integration
and the Meta webhook subscription provisioned, secrets rotated, connections removed, and a
doctor that checks every connection now."""
