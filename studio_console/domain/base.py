"""Base classes of the immutable domain models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """An immutable value: a new one replaces the old on every change."""

    model_config = ConfigDict(frozen=True)


class StrictFrozen(BaseModel):
    """Immutable, and refusing unknown fields (data the app imports or builds itself)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
