"""``[deception]``: the one fake host every door shows (persona, login policy).

The runtime validates this section and builds one :class:`~phantomnet.deception.host.FakeHost`
from it, handed to every door; no door has a persona or credential setting of its own.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from phantomnet.deception.credentials import CredentialPolicyConfig
from phantomnet.deception.persona import DEFAULT_PERSONA, list_personas


class DeceptionConfig(BaseModel):
    """``persona``: a shipped persona name (``phantomnet`` ships debian12, ubuntu2204, centos7)
    or the path of a persona TOML file; ``credentials``: which logins every door accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    persona: str = DEFAULT_PERSONA
    credentials: CredentialPolicyConfig = CredentialPolicyConfig()

    @field_validator("persona")
    @classmethod
    def _known_persona(cls, value: str) -> str:
        if value.endswith(".toml") or value in list_personas():
            return value
        raise ValueError(f"unknown persona {value!r} (shipped: {', '.join(list_personas())})")
