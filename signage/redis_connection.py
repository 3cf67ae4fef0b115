"""Every process's connections to Redis, made in one place so that each rides out an outage the same way.

A plain URL (``redis://host:6379/0``, ``rediss://`` for TLS) names one server. A city that runs Redis with a
replica and Sentinels names the Sentinels and the service instead:
``redis+sentinel://sentinel-1:26379,sentinel-2:26379/signage/0`` (``/<service>/<db>``); every connection then
asks the Sentinels for the current primary, and after a failover reconnects to the new one.

Connections are checked before use when idle for a while (``health_check_interval``), so a connection left
stale by a Redis restart is replaced instead of failing once; a command that meets a broken connection is
retried on a new one a few times with a short backoff; pools are bounded and wait for a free connection instead
of failing when full.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["SENTINEL_SCHEME", "redis_client"]

SENTINEL_SCHEME = "redis+sentinel"
MAX_CONNECTIONS = 64  # per client; a full pool makes callers wait (BlockingConnectionPool), never fail
POOL_WAIT_S = 10.0
HEALTH_CHECK_S = 5


def _resilience(blocking_reads: bool) -> dict[str, Any]:
    return {
        "decode_responses": True,
        "health_check_interval": HEALTH_CHECK_S,
        "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError, OSError],
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        # Blocking reads (XREAD BLOCK) are bounded by their own BLOCK time; a socket timeout would cut them.
        "socket_timeout": None if blocking_reads else 10,
    }


def redis_client(url: str, *, blocking_reads: bool = False) -> Any:
    """A client for ``url`` (a server, or Sentinels and a service), resilient as the module says."""
    options = _resilience(blocking_reads)
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_S,
                                                        **options)
        return aioredis.Redis.from_pool(pool)  # closing the client closes its pool
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not path:
        raise ValueError(f"{SENTINEL_SCHEME} URL without a service name: {SENTINEL_SCHEME}://host:port,…/service/db")
    service, db = path[0], int(path[1]) if len(path) > 1 else 0
    sentinels = []
    for address in parts.netloc.rsplit("@", 1)[-1].split(","):
        host, _, port = address.rpartition(":")
        sentinels.append((host or address, int(port) if host else 26379))
    password = unquote(parts.password) if parts.password else None
    sentinel = Sentinel(sentinels, socket_connect_timeout=2, socket_timeout=2)  # type: ignore[no-untyped-call]
    return sentinel.master_for(service, db=db, password=password, max_connections=MAX_CONNECTIONS, **options)
