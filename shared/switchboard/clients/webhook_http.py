"""Outgoing webhook requests: where a URL's host resolves, and one signed POST (no redirects followed, a
short timeout; the delivery worker retries)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import requests

TIMEOUT_S = (3.05, 10)


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (timeout, refused, DNS)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address the host resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


_SESSION = requests.Session()


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    try:
        response = _SESSION.post(url, data=body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False)
    except requests.RequestException as exc:
        return Answer(None, type(exc).__name__)
    return Answer(response.status_code, None if response.ok else f"HTTP {response.status_code}")
