"""Outbound address policy for admin-configured endpoints (fine-tuning API, suggestion provider).

An admin-given base URL must not let the server reach what only it can reach: link-local addresses (cloud
metadata at 169.254.169.254, fe80::/10) and unspecified or special addresses are always refused; loopback
and private ranges only when the operator opts in (PAIRWISE_ALLOW_PRIVATE_ENDPOINTS, for local providers
such as vLLM or Ollama on the same network). Hosts written in odd encodings (decimal `2130706433`, hex
`0x7f.1`, octal `0177.0.0.1`, short `127.1`, IPv4-mapped IPv6) are normalised first, and names are resolved
and checked when the connection is made (`policy_http_client`), so DNS cannot swap in an internal address
after the URL was saved.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore2
import httpx2

from app.config import get_settings
from app.errors import ValidationFailedError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Shared address space (carrier-grade NAT) is internal in practice, like the private ranges.
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class EndpointRefusedError(ValidationFailedError):
    """The endpoint's address is not allowed by the outbound policy."""


def parse_host(host: str) -> IPAddress | None:
    """The address a host literal means, whatever its spelling; None for a name that needs DNS."""
    host = host.strip().strip("[]").split("%", 1)[0]
    try:
        return _unmapped(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host and all(part for part in host.split(".")) and all(_is_number(part) for part in host.split(".")):
        try:  # the legacy forms C's inet_aton accepts: 2130706433, 0x7f000001, 0177.0.0.1, 127.1
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise EndpointRefusedError(f"the host {host!r} is not a valid address") from None
    return None


def _is_number(part: str) -> bool:
    text = part.lower()
    if text.startswith("0x"):
        return all(ch in "0123456789abcdef" for ch in text[2:])
    return text.isdigit()


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_problem(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why the policy refuses this address, or None when it may be used."""
    address = _unmapped(address)
    if address.is_link_local:
        return "link-local addresses (such as cloud metadata services) are never allowed"
    if address.is_unspecified or address.is_multicast:
        return "unspecified and multicast addresses are not allowed"
    # ::1 sits in a reserved IPv6 block: loopback is decided before "reserved".
    if address.is_reserved and not address.is_loopback:
        return "reserved addresses are not allowed"
    internal = address.is_loopback or address.is_private or (address.version == 4 and address in _SHARED)
    if internal and not allow_private:
        return (
            "loopback and private addresses are allowed only when the server's operator sets "
            "PAIRWISE_ALLOW_PRIVATE_ENDPOINTS=true (for local providers)"
        )
    if not internal and not address.is_global:
        return "this address is not publicly routable"
    return None


def allow_private() -> bool:
    return get_settings().allow_private_endpoints


def check_url(url: str, *, resolve: bool = True) -> None:
    """Refuse a base URL whose host is, or resolves to, an address the policy forbids (at save time)."""
    host = urlsplit(url).hostname or ""
    literal = parse_host(host)
    addresses = [literal] if literal is not None else (_resolve(host) if resolve else [])
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private())
        if problem is not None:
            raise EndpointRefusedError(f"the base URL's host {host} ({address}) is refused: {problem}")


def _resolve(host: str, port: int = 443) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []  # cannot resolve now: checked again when connecting
    return [_unmapped(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])) for info in infos]


def checked_addresses(host: str, port: int) -> list[IPAddress]:
    """Resolve a host and keep only allowed addresses; raises when none is allowed."""
    literal = parse_host(host)
    addresses = [literal] if literal is not None else _resolve(host, port)
    if not addresses:
        raise httpcore2.ConnectError(f"cannot resolve {host}")
    allowed = [a for a in addresses if address_problem(a, allow_private=allow_private()) is None]
    if not allowed:
        problem = address_problem(addresses[0], allow_private=allow_private())
        raise httpcore2.ConnectError(
            f"refused by the outbound address policy: {host} ({addresses[0]}): {problem}"
        )
    return allowed


class _CheckedBackend(httpcore2.NetworkBackend):
    """Connects only to addresses the policy allows, to the very address it checked (no second lookup)."""

    def __init__(self) -> None:
        self._inner = httpcore2.SyncBackend()

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:  # fmt: skip
        last: Exception | None = None
        for address in checked_addresses(host, port):
            try:
                return self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore2.ConnectError as exc:
                last = exc
        raise last or httpcore2.ConnectError(f"cannot connect to {host}")

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore2.NetworkStream:
        raise httpcore2.ConnectError("unix sockets are not allowed by the outbound address policy")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class PolicyTransport(httpx2.HTTPTransport):
    """httpx2's transport with every connection checked against the outbound policy at connect time."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # httpx2 does not take a network backend; its pool does (tests/test_net.py catches a change here).
        self._pool._network_backend = _CheckedBackend()


def policy_http_client(*, timeout: float) -> httpx2.Client:
    """An httpx2 client (the HTTP library of the openai SDK) for admin-configured endpoints: policy-checked connections, no environment proxies
    (a proxy would connect on our behalf where the check cannot see), no redirects to elsewhere."""
    return httpx2.Client(
        transport=PolicyTransport(), timeout=timeout, trust_env=False, follow_redirects=False
    )
