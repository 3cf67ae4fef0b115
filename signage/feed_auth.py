"""Who may deliver to a feed: the feed's configuration says it, this module reads it. Pure.

A feed that receives deliveries (``POST /feeds/{id}``: no ``url`` to poll, no MQTT ``broker`` to subscribe to)
authenticates them: ``auth: token`` takes ``Authorization: Bearer`` with a token from ``signage feeds token``;
the ``webhook`` format takes its HMAC signature (``secret_env``); ``allow_anonymous: true`` takes anyone, and says
so. ``allow_from`` adds a list of networks the deliveries must come from; a ``cap`` feed's ``senders`` the CAP
``<sender>`` values it accepts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from signage.model import FeedConfig

__all__ = ["Network", "address_allowed", "credentials_problem", "parse_networks", "receives_deliveries"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def receives_deliveries(feed: FeedConfig) -> bool:
    """Whether strangers could POST to this feed: it is not one the engine fetches itself."""
    return not feed.options.get("url") and not (feed.format == "mqtt" and feed.options.get("broker"))


def credentials_problem(feed: FeedConfig) -> str | None:
    """What ``signage check`` says of a feed that receives deliveries without saying who may send them."""
    if not receives_deliveries(feed) or feed.options.get("allow_anonymous") is True:
        return None
    if feed.format == "webhook":
        return None if feed.options.get("secret_env") else (
            "a webhook feed is authenticated by its HMAC signature: name the variable holding its secret "
            "with secret_env")
    if feed.options.get("auth") == "token":
        return None
    return (f"feed {feed.id!r} receives deliveries (POST /feeds/{feed.id}) but says nothing of who may send them: "
            f"add auth: token and issue one with 'signage feeds token {feed.id}', or allow_anonymous: true to "
            "accept anyone (not advised)")


def parse_networks(values: Sequence[object]) -> list[Network]:
    """CIDR blocks (``10.0.0.0/8``, ``2001:db8::/32``, a single address); ``ValueError`` names a bad one."""
    networks: list[Network] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an address or CIDR block") from exc
    return networks


def address_allowed(address: str | None, networks: Sequence[Network]) -> bool:
    """Whether ``address`` is inside one of ``networks`` (an unreadable address is not)."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in networks)
