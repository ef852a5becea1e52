"""Clients against the simulators, over real loopback HTTP."""
