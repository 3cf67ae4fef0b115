"""The engine as the benchmarks run it: ``signage serve`` on Redis under a prefix of its own, started and
waited for, stopped and its keys removed afterwards."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def engine_on_redis(redis_url: str, port: int, role: str = "all", pin: list[str] | None = None,
                    extra_env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """Run ``signage serve --config demo --role ROLE`` until the block ends; yields the process and its env."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    env = {**os.environ, "SIGNAGE_REDIS_URL": redis_url, "SIGNAGE_REDIS_PREFIX": prefix, "PYTHONUNBUFFERED": "1",
           **(extra_env or {})}
    engine = subprocess.Popen([*(pin or []), sys.executable, "-m", "signage", "serve", "--config", "demo", "--role",
                               role, "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        assert engine.stdout is not None and "listening" in engine.stdout.readline()
        yield engine, env
    finally:
        engine.terminate()
        engine.wait()
        r = redis.Redis.from_url(redis_url)
        for key in r.scan_iter(f"{prefix}*"):
            r.delete(key)


def feed_token(feed: str, env: dict[str, str]) -> str:
    """A producer token for ``feed`` on the running engine's store, as an operator issues one."""
    return subprocess.run([sys.executable, "-m", "signage", "feeds", "token", feed, "--config", "demo"], env=env,
                          capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
