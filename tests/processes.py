"""Running ``signage`` as real processes for the tests that need them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered on port {port} within {timeout} s")


@contextmanager
def signage_process(args: list[str], port: int, env: dict[str, str] | None = None, cwd: Path | None = None
                    ) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``signage ARGS``, wait until /healthz answers, and always stop it afterwards."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    log = Path(cwd or ".") / f"signage-{port}.log"
    # The log goes to a file: a pipe nobody reads would fill up and stall the process.
    with open(log, "wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "signage", *args], env=full_env, cwd=cwd,
                                   stdout=subprocess.PIPE, stderr=log_file)
    try:
        wait_healthy(port, process, log)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


def feed_token(feed: str, env: dict[str, str], config: str = "demo") -> str:
    """A producer token for ``feed``, issued as an operator would (``signage feeds token FEED``) on the store the
    processes of ``env`` share."""
    done = subprocess.run([sys.executable, "-m", "signage", "feeds", "token", feed, "--config", config],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()
