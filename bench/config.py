"""How big each scenario is: one frozen model, two presets, ``--set key=value`` overrides.

The ``full`` preset is what ``make bench`` runs and what the committed results come from,
sized so the whole run (stack start included) fits in ten minutes on two cores: a sustained
run at the target's 1,000/s lasts only ``e2e_duration_s`` because whatever the pipeline
cannot carry must drain before the next measurement;
``quick`` (a few seconds per measurement, about three minutes in all) is for development and
for a loaded machine; its figures quote nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Sizes(BaseModel):
    """Scenario sizes and loads (durations in seconds, rates in requests per second)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenants: int = Field(default=100, ge=1, description="Tenants sending traffic.")
    conversations: int = Field(default=1000, ge=1, description="Customers, spread over tenants.")
    ingress_requests: int = Field(default=10_000, ge=1, description="Webhooks per ingress run.")
    ingress_concurrency: int = Field(default=64, ge=1, description="Requests in flight.")
    loadgen_processes: int = Field(default=1, ge=1, description="Load generator processes.")
    e2e_blast: int = Field(default=1_200, ge=1, description="Messages of a capacity run.")
    e2e_concurrency: int = Field(default=64, ge=1, description="Webhooks in flight (ingress).")
    e2e_rate: float = Field(default=1000.0, gt=0, description="Offered rate of a sustained run.")
    e2e_duration_s: float = Field(default=2.0, gt=0, description="Length of a sustained run.")
    drain_timeout_s: float = Field(default=30.0, gt=0, description="Longest wait for deliveries.")
    profile_s: float = Field(default=10.0, gt=0, description="Seconds py-spy samples.")
    scale_workers: tuple[int, ...] = Field(default=(1, 2, 4), description="Worker counts.")
    fair_tenants: int = Field(default=50, ge=1, description="Tenants sending normally.")
    fair_rate: float = Field(default=25.0, gt=0, description="Their total rate.")
    fair_flood_budget_per_min: float = Field(
        default=120.0, gt=0, description="The flooding tenant's Genesys budget."
    )
    fair_flood_factor: float = Field(default=10.0, gt=0, description="Flood rate / its budget.")
    fair_duration_s: float = Field(default=30.0, gt=0, description="Length of each fairness run.")


PRESETS: dict[str, dict[str, Any]] = {
    "full": {},
    "quick": {
        "tenants": 20,
        "conversations": 100,
        "ingress_requests": 1_500,
        "ingress_concurrency": 16,
        "e2e_blast": 300,
        "e2e_concurrency": 16,
        "e2e_rate": 100.0,
        "e2e_duration_s": 3.0,
        "drain_timeout_s": 60.0,
        "profile_s": 3.0,
        "scale_workers": (1, 2),
        "fair_tenants": 10,
        "fair_rate": 20.0,
        "fair_flood_budget_per_min": 120.0,
        "fair_duration_s": 4.0,
    },
}


def sizes(preset: str, overrides: list[str]) -> Sizes:
    """The preset's sizes with ``key=value`` overrides (``scale_workers=1,2,4``)."""
    values: dict[str, Any] = dict(PRESETS[preset])
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in Sizes.model_fields:
            raise ValueError(f"--set takes key=value with a key of {sorted(Sizes.model_fields)}")
        values[key] = tuple(int(v) for v in value.split(",")) if key == "scale_workers" else value
    return Sizes.model_validate(values)
