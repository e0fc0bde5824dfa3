"""Who is calling: a tenant's operator or admin. The API edge reads it from the token's claims
(``api.auth``); the areas take it as it is and never look at the HTTP request."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from switchboard.errors import Forbidden


class Principal(BaseModel):
    tenant_id: str
    operator_id: str
    role: Literal["operator", "admin"]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("this operation is for admins")
