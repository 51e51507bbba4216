"""The address of the client behind a request: what rate limits and sign-in throttling key on.

Without configuration it is `REMOTE_ADDR`, the peer of the TCP connection. Behind a reverse
proxy that is the proxy, so every client would share one bucket; list the proxies in
`SWITCHBOARD_TRUSTED_PROXIES` (addresses or CIDR networks) and the client is the right-most
`X-Forwarded-For` hop that is not one of them. Right-most, because each proxy appends the
address it received the request from: hops to the left of the first untrusted one were written
by the client itself and prove nothing. A request whose peer is not a trusted proxy is answered
by its peer address, whatever headers it carries.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """`("10.0.0.0/8", "127.0.0.1")` → networks; raises ValueError naming a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"SWITCHBOARD_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network"
            ) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(remote_addr: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The client's address, per the rule in the module docstring. Pure."""
    peer = _address(remote_addr or "")
    if peer is None:
        return (remote_addr or "unknown")[:64]
    if not trusted or not _trusted(peer, trusted) or not forwarded_for:
        return str(peer)
    hops = forwarded_for.split(",")
    client = peer
    for hop in reversed(hops[-32:]):  # a longer chain is not a real one: stop looking
        address = _address(hop)
        if address is None:
            # Garbage where a trusted proxy should have written an address: the last hop we
            # could read (a trusted proxy) is the best we know.
            return str(client)
        client = address
        if not _trusted(address, trusted):
            return str(address)
    return str(client)


def trusted_proxies() -> tuple[Network, ...]:
    return parse_networks(tuple(getattr(settings, "SWITCHBOARD_TRUSTED_PROXIES", ()) or ()))


def client_ip(request: Any) -> str:
    """The client address of a Django request (also django-axes' AXES_CLIENT_IP_CALLABLE)."""
    meta = request.META
    return client_address(
        str(meta.get("REMOTE_ADDR") or ""),
        str(meta.get("HTTP_X_FORWARDED_FOR") or ""),
        trusted_proxies(),
    )


def client_ip_for_axes(request: Any) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: the same rule, but None (not "unknown") when there
    is no readable address (a test client's force_login, a request built in code): axes stores
    the address in an IP column that accepts NULL and nothing else."""
    address = client_ip(request)
    return address if _address(address) is not None else None
