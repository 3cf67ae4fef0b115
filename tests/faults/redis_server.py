"""A Redis server of a test's own, on a free port, that the test stops and starts again (with or without its
append-only file), and Sentinels to watch a primary and its replica."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import free_port


def answers(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


class RedisServer:
    def __init__(self, folder: Path, *, persistent: bool, port: int | None = None,
                 extra: list[str] | None = None) -> None:
        server = shutil.which("redis-server")
        if server is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.command = server
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.persistent = persistent
        self.port = port or free_port()
        self.extra = extra or []
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else [
            "--appendonly", "no"]
        self.process = subprocess.Popen(
            [self.command, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", *persistence, *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not answers(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                pytest.fail(f"redis-server on {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server as an operator's restart does (its AOF, if any, is complete)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class Sentinels:
    """A primary, its replica and three Sentinels watching them as ``signage``."""

    SERVICE = "signage"

    def __init__(self, folder: Path) -> None:
        self.primary = RedisServer(folder / "primary", persistent=True)
        self.replica = RedisServer(folder / "replica", persistent=True,
                                   extra=["--replicaof", "127.0.0.1", str(self.primary.port)])
        self.sentinels: list[subprocess.Popen[bytes]] = []
        self.ports = [free_port() for _ in range(3)]
        self.folder = folder

    @property
    def url(self) -> str:
        return f"redis+sentinel://{','.join(f'127.0.0.1:{p}' for p in self.ports)}/{self.SERVICE}/0"

    def start(self) -> None:
        self.primary.start()
        self.replica.start()
        for n, port in enumerate(self.ports):
            conf = self.folder / f"sentinel-{n}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\nsentinel monitor {self.SERVICE} 127.0.0.1 "
                            f"{self.primary.port} 2\nsentinel down-after-milliseconds {self.SERVICE} 1000\n"
                            f"sentinel failover-timeout {self.SERVICE} 5000\nlogfile {self.log(n)}\n")
            self.sentinels.append(subprocess.Popen([self.primary.command, str(conf), "--sentinel"],
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 15
        while not all(self._knows_replica(p) for p in self.ports):
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail("the Sentinels did not find the primary and its replica within 15 s")
            time.sleep(0.1)

    def _knows_replica(self, port: int) -> bool:
        try:
            client = redis.Redis(port=port, socket_connect_timeout=0.5, decode_responses=True)
            sentinels: Any = client.sentinel_sentinels(self.SERVICE)
            return bool(client.sentinel_slaves(self.SERVICE)) and len(sentinels) >= 2
        except (redis.RedisError, OSError):
            return False

    def log(self, n: int) -> Path:
        return self.folder / f"sentinel-{n}.log"

    def events(self) -> str:
        """What the Sentinels logged, for a test that failed waiting on them to say why."""
        return "\n".join(f"--- sentinel {n}\n" + (self.log(n).read_text() if self.log(n).exists() else "(no log)")
                         for n in range(len(self.ports)))

    def primary_port(self) -> int:
        client = redis.Redis(port=self.ports[0], socket_connect_timeout=0.5, decode_responses=True)
        address: Any = client.sentinel_get_master_addr_by_name(self.SERVICE)
        return int(address[1])

    def kill_primary(self) -> int:
        """Kill, as a crash would, whichever server the Sentinels name as primary now (on a loaded machine they
        may already have promoted the replica once), and give the port it served on."""
        port = self.primary_port()
        server = next(s for s in (self.primary, self.replica) if s.port == port)
        assert server.process is not None, f"the Sentinels name {port}, which is not running"
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        return port

    def stop(self) -> None:
        for sentinel in self.sentinels:
            sentinel.terminate()
            sentinel.wait(timeout=10)
        self.primary.stop()
        self.replica.stop()
