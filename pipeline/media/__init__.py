"""Inbound media: downloaded from Meta at ingest, kept in a shared store, re-served to Genesys.

:mod:`~pipeline.media.ingest` (worker) downloads and stores; :mod:`~pipeline.media.links`
signs the ``GET /media/{token}`` links the gateway (:mod:`pipeline.gateway.media`) serves;
:mod:`~pipeline.media.store` is the store protocol, :mod:`~pipeline.media.postgres` its
default backend.
"""
