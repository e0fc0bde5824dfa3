"""Which URLs a webhook subscription may deliver to. In the cloud: https only, and never a host that
resolves to a private, loopback, link-local or otherwise non-public address (no reaching into our own
network). Locally (``WEBHOOK_ALLOW_PRIVATE_URLS``), http and local addresses are allowed, for tests."""

from __future__ import annotations

from urllib.parse import urlsplit

from switchboard.clients import webhook_http
from switchboard.errors import InvalidInput

MAX_URL_LENGTH = 2048


def checked_url(url: str, allow_private: bool) -> str:
    """The URL, or InvalidInput naming ``url``."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"url is longer than {MAX_URL_LENGTH} characters", field="url")
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise InvalidInput("url is not a valid URL", field="url") from exc
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise InvalidInput("url must be https", field="url")
    if not parts.hostname or parts.username or parts.password:
        raise InvalidInput("url needs a host and no credentials", field="url")
    if not allow_private:
        addresses = webhook_http.resolve(parts.hostname, port)
        if not addresses:
            raise InvalidInput("url's host does not resolve", field="url")
        # An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it maps.
        plain = [getattr(address, "ipv4_mapped", None) or address for address in addresses]
        if not all(address.is_global and not address.is_multicast for address in plain):
            raise InvalidInput("url resolves to a private, loopback or link-local address", field="url")
    return url.strip()
