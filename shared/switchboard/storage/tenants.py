"""A tenant's settings (one item, ``T#<tenant>`` / ``SETTINGS``): its default country, which reads the
national phone numbers operators type, and its own list of allowed file types. Reads are cached per
process for a minute, as channels are: every contact write and every file sent asks for them."""

from __future__ import annotations

import time
from typing import Any

import phonenumbers

from switchboard.errors import InvalidInput
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, strip_keys

_CACHE_SECONDS = 60.0


class TenantSettingsStore:
    def __init__(self, table: Table) -> None:
        self.table = table
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, tenant_id: str) -> dict[str, Any]:
        hit = self._cache.get(tenant_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        item = self.table.get(keys.tenant_settings(tenant_id))
        settings = strip_keys(item) if item else {}
        self._cache[tenant_id] = (time.monotonic() + _CACHE_SECONDS, settings)
        return settings

    def default_country(self, tenant_id: str) -> str | None:
        country = self.get(tenant_id).get("default_country")
        return str(country) if country else None

    def set_default_country(self, tenant_id: str, country: str | None) -> None:
        """Set (or, with None, remove) the tenant's default country: an ISO 3166 alpha-2 code with a
        calling code ("CZ", "GB", "US")."""
        if country is None:
            self.table.update(keys.tenant_settings(tenant_id), "REMOVE default_country")
        else:
            code = country.strip().upper()
            if code not in phonenumbers.SUPPORTED_REGIONS:
                raise InvalidInput(f"'{country}' is not a country with phone numbers", field="default_country")
            self.table.update(keys.tenant_settings(tenant_id), "SET default_country = :c, tenant_id = :t",
                              {":c": code, ":t": tenant_id})
        self._cache.pop(tenant_id, None)
