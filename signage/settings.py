"""Process settings: from the command line and the environment, never from globals."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
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
    ws_backlog: int = 256  # frames queued for one client before it is dropped and must resync
    ws_max_topics: int = 200
    ws_max_message_bytes: int = 64 * 1024
    ws_heartbeat_s: float = 25.0
    long_poll_max_s: float = 60.0
    bus_history: int = 100
    config_poll_s: float = 2.0  # how often the configuration file is checked for changes (0: never)

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
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def runs_web(self) -> bool:
        return self.role in ("all", "web")

    @property
    def runs_engine(self) -> bool:
        return self.role in ("all", "engine")
