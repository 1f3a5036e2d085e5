"""What every policy model shares: frozen, unknown keys refused, J-003 data as defaults.

Kept apart from `relman.policy_settings.models` so that `relman.settings_core` (the sections
that reading git needs) can use it without building the models of the whole J-003 policy.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def j003_default(data: object) -> Any:
    """A field whose default is plain J-003 data, validated like file input (-> models)."""
    return Field(default_factory=lambda: data, validate_default=True)
