"""Process settings: from the command line and the environment, never from globals."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = ["ROLES", "Settings"]

ROLES = ("all", "web", "engine", "push")


@dataclass(frozen=True, slots=True)
class Settings:
    config_path: Path
    role: str = "all"
    host: str = "127.0.0.1"
    port: int = 8080
    redis_url: str | None = None
    redis_prefix: str = "signage:"
    sqlite_path: str = "var/signage.sqlite3"
    simulate: bool = False  # the demo's simulated feeds
    simulation_speed: float = 60.0  # demo city minutes per real second
    max_body_bytes: int = 4 * 1024 * 1024
    # Deliveries the engine may be behind before feed deliveries get 503: under the 10,000 the bus keeps.
    ingest_backlog_limit: int = 5_000
    ws_backlog: int = 256  # frames queued for one client before it is dropped and must resync
    # The kernel's send buffer per WebSocket (Linux doubles it). Left to the kernel it grows to megabytes, which
    # hide a client that stopped reading: bounded, a lagging client reaches its backlog and is told to resync.
    ws_socket_buffer_bytes: int = 64 * 1024
    ws_max_topics: int = 200
    ws_max_message_bytes: int = 64 * 1024
    ws_heartbeat_s: float = 25.0
    ws_max_per_address: int = 200  # kiosks behind one NAT share an address: generous, but bounded
    ws_max_connections: int = 0  # live connections one process holds; 0: as many as its open-file limit allows
    long_poll_max_s: float = 60.0
    panel_offline_after_s: float = 90.0
    cookie_secure: bool = True  # staff session cookies only over HTTPS (browsers allow it on localhost too)
    open_burst: int = 60  # open-data requests one address may make at once…
    open_per_second: float = 2.0  # …and per second after that  # a panel not seen for this long is shown offline
    bus_history: int = 100
    preview_workers: int = 2  # processes that render what staff type (previews, version checks)
    preview_deadline_s: float = 3.0  # a preview still running after this is killed with its worker
    config_poll_s: float = 2.0  # how often the configuration file is checked for changes (0: never)
    # The console's base map: a tile URL template ({z}/{x}/{y}) and its attribution. None: no third party is
    # asked for anything, and the map shows the panels at their coordinates on a plain background.
    map_tiles: str | None = None
    map_attribution: str = ""
    # Web Push. The private key is a secret: kept out of repr so that no log line can show it.
    vapid_private_key: str | None = field(default=None, repr=False)
    vapid_subject: str = "mailto:signage@localhost"
    push_services: tuple[str, ...] = ()  # empty: the major browsers' push services
    push_per_service: int = 100  # concurrent requests to one push service
    push_workers: int = 1  # workers per process (roles push and all)
    push_reclaim_s: float = 30.0  # a job unacknowledged this long is taken over by another worker
    engine_lease_s: float = 6.0  # a leading engine silent this long is replaced by a standby
    push_max_subscriptions: int = 500_000  # push subscriptions held in all
    # NTCIP signs: how often each is asked for its status, and how long one SNMP attempt may take (then retried
    # twice with a growing pause before the sign is called unreachable).
    sign_poll_s: float = 5.0
    sign_timeout_s: float = 2.0
    sign_retries: int = 2
    push_subscribe_burst: int = 20  # subscriptions (new or renewed) one address may make at once…
    push_subscribe_per_hour: float = 20.0  # …and per hour after that

    @classmethod
    def from_env(cls, config_path: Path, **overrides: Any) -> Settings:
        env = os.environ
        settings = cls(
            config_path=config_path,
            redis_url=env.get("SIGNAGE_REDIS_URL") or None,
            redis_prefix=env.get("SIGNAGE_REDIS_PREFIX", "signage:"),
            sqlite_path=env.get("SIGNAGE_SQLITE_PATH", "var/signage.sqlite3"),
            host=env.get("SIGNAGE_HOST", "127.0.0.1"),
            port=int(env.get("PORT") or env.get("SIGNAGE_PORT") or 8080),
            vapid_private_key=env.get("SIGNAGE_VAPID_PRIVATE_KEY") or None,
            vapid_subject=env.get("SIGNAGE_VAPID_SUBJECT", "mailto:signage@localhost"),
            push_services=tuple(p.strip() for p in env.get("SIGNAGE_PUSH_SERVICES", "").split(",") if p.strip()),
            push_reclaim_s=float(env.get("SIGNAGE_PUSH_RECLAIM_S") or 30.0),
            engine_lease_s=float(env.get("SIGNAGE_ENGINE_LEASE_S") or 6.0),
            ws_max_per_address=int(env.get("SIGNAGE_WS_MAX_PER_ADDRESS") or 200),
            ws_max_connections=int(env.get("SIGNAGE_WS_MAX_CONNECTIONS") or 0),
            ingest_backlog_limit=int(env.get("SIGNAGE_INGEST_BACKLOG_LIMIT") or 5_000),
            push_workers=int(env.get("SIGNAGE_PUSH_WORKERS") or 1),
            push_max_subscriptions=int(env.get("SIGNAGE_PUSH_MAX_SUBSCRIPTIONS") or 500_000),
            map_tiles=env.get("SIGNAGE_MAP_TILES") or None,
            map_attribution=env.get("SIGNAGE_MAP_ATTRIBUTION", ""),
            sign_poll_s=float(env.get("SIGNAGE_SIGN_POLL_S") or 5.0),
            sign_timeout_s=float(env.get("SIGNAGE_SIGN_TIMEOUT_S") or 2.0),
            sign_retries=int(env.get("SIGNAGE_SIGN_RETRIES") or 2),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def runs_web(self) -> bool:
        return self.role in ("all", "web")

    @property
    def runs_push(self) -> bool:
        return self.role in ("all", "push")

    @property
    def runs_engine(self) -> bool:
        return self.role in ("all", "engine")
