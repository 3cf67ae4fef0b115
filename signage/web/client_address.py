"""The client's address, which every per-address limit uses (connections, open data, sign-in, push, feeds).

Behind a reverse proxy every request comes from the proxy's address, so the limits would be shared by the whole
city. A proxy listed in the configuration's ``trusted_proxies`` is believed when it says who its client is
(``X-Forwarded-For``, read from the right: the first address that is not itself a trusted proxy). Anyone else's
``X-Forwarded-For`` is ignored, so a client cannot choose its own address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from signage.feed_auth import Network, address_allowed, parse_networks
from signage.web.keys import CONFIG

__all__ = ["behind_trusted_proxy", "forwarded_client"]


def forwarded_client(peer: str | None, forwarded_for: str, proxies: Sequence[Network]) -> str | None:
    """The client behind ``peer`` when ``peer`` is a trusted proxy, or None to keep ``peer``."""
    if not proxies or not forwarded_for or not address_allowed(peer, proxies):
        return None
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops[-20:]):
        if not address_allowed(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return None  # not an address: believe nothing further left
    return None


def behind_trusted_proxy(request: web.Request) -> web.Request:
    """The request as from the client a trusted proxy names in ``X-Forwarded-For``, or as it came."""
    trusted = request.app[CONFIG].current.trusted_proxies
    if trusted and "X-Forwarded-For" in request.headers:
        client = forwarded_client(request.remote, ",".join(request.headers.getall("X-Forwarded-For")),
                                  parse_networks(trusted))
        if client is not None:
            return request.clone(remote=client)
    return request
