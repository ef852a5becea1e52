"""Inbound media: downloaded from Meta at ingest, kept in a shared store, re-served to Genesys.

:mod:`~pipeline.media.ingest` (worker) downloads and stores; :mod:`~pipeline.media.links`
signs the ``GET /media/{token}`` links the gateway (:mod:`pipeline.gateway.media`) serves;
:mod:`~pipeline.media.store` is the store protocol, :mod:`~pipeline.media.postgres` its
default backend and :mod:`~pipeline.media.s3` the S3-compatible one (over
:mod:`~pipeline.media.s3_client` and :mod:`~pipeline.media.sigv4`), chosen by
:mod:`~pipeline.media.backend`.
"""
