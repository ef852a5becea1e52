"""Errors of the pipeline: the gateway, the worker and the CLI."""

from __future__ import annotations

from schemas.errors import WagenError


class PipelineError(WagenError):
    """Category root for the pipeline package."""

    code = "pipeline_error"
