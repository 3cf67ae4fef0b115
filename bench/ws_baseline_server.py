"""The baseline for the fan-out benchmark: a bare ``websockets`` server that calls ``broadcast()``.

Clients connect; every message published on the Redis channel given is broadcast to all of them, as is. This is
the least a Python server can do per delivered message; the engine's web process is measured against it.
Run by ``bench/ws_fanout.py``.
"""

from __future__ import annotations

import argparse
import asyncio

import redis.asyncio as aioredis
import websockets
from websockets.asyncio.server import ServerConnection, broadcast, serve


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--channel", required=True)
    args = parser.parse_args()
    clients: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        clients.add(connection)
        try:
            await connection.wait_closed()
        finally:
            clients.discard(connection)

    redis = aioredis.from_url(args.redis, decode_responses=True)
    pubsub = redis.pubsub()
    await pubsub.subscribe(args.channel)
    async with serve(handler, "127.0.0.1", args.port, compression=None, max_queue=16, ping_interval=25):
        print("ready", flush=True)
        async for message in pubsub.listen():
            if message["type"] == "message":
                broadcast(clients, message["data"])


if __name__ == "__main__":
    websockets  # noqa: B018 - the package under test
    asyncio.run(main())
