"""A phone that stops reading, with socket buffers as small as a mobile network's: its updates pile up in the
bounded backlog, and it is closed with 4008 (reconnect and recover with ``since``), while what it may hold in
the server stays bounded: the kernel's send buffer, the transport's high-water mark and the backlog."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from typing import Any

from channels.fanout import CLOSE_SLOW_CONSUMER, HIGH_WATER
from signage.web.keys import BUS, HUB, SETTINGS
from signage.web.websocket import WRITER_LIMIT
from tests.helpers import eventually


def masked_text(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81, 0x80 | len(payload)]) if len(payload) < 126 else bytes([0x81, 0xFE]) + struct.pack(
        "!H", len(payload))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_codes(data: bytes) -> list[int]:
    """The close codes among the server's (unmasked) frames in ``data``."""
    codes, at = [], 0
    while at + 2 <= len(data):
        opcode, length = data[at] & 0x0F, data[at + 1] & 0x7F
        at += 2
        if length >= 126:
            size = 2 if length == 126 else 8
            if at + size > len(data):
                break  # the rest has not arrived yet
            length, at = struct.unpack("!H" if size == 2 else "!Q", data[at:at + size])[0], at + size
        if at + length > len(data):
            break
        if opcode == 0x8 and length >= 2:
            codes.append(struct.unpack("!H", data[at:at + 2])[0])
        at += length
    return codes


async def test_a_client_that_stops_reading_is_closed_with_4008(client: Any) -> None:
    settings, bus = client.app[SETTINGS], client.app[BUS]
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window, as on a poor mobile link
    raw.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(raw, (client.host, client.port))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(raw, (f"GET /ws HTTP/1.1\r\nHost: {client.host}\r\nUpgrade: websocket\r\n"
                                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    handshake = await loop.sock_recv(raw, 4096)
    assert handshake.startswith(b"HTTP/1.1 101")
    await loop.sock_sendall(raw, masked_text(json.dumps({"type": "subscribe", "topics": ["parking/tivoli"]})))
    received = bytearray(handshake.split(b"\r\n\r\n", 1)[1])
    hub = client.app[HUB]

    async def subscribed() -> bool:
        return bool(hub.subscribers("parking/tivoli"))

    await eventually(subscribed, what="the slow client subscribed")
    held = 0

    def holding() -> int:
        return max((getattr(c, "held_bytes", 0) for c in hub.subscribers("parking/tivoli")), default=0)

    # Ordinary updates (a car park's count), as many as a busy minute brings; the client reads none of them.
    update = {"free": 0, "total": 1100, "name": "Parking Tivoli", "address": "Rue de Tivoli, Dijon"}
    sent = 0
    while sent < settings.ws_backlog * 40:
        sent += 1
        await bus.publish("parking/tivoli", {**update, "free": sent})
        held = max(held, holding())
        if sent % 50 == 0:
            await asyncio.sleep(0)  # the hub dispatches and the writer writes: what it holds is read after
            held = max(held, holding())

    async def closed_by_server() -> bool:  # now read everything the server sent, up to its close
        nonlocal held
        held = max(held, holding())
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(raw, 65536), 1)
        except TimeoutError:
            return False
        received.extend(chunk)
        return not chunk or bool(close_codes(bytes(received)))

    await eventually(closed_by_server, timeout=20, what="the server closing the slow client")
    assert CLOSE_SLOW_CONSUMER in close_codes(bytes(received))
    updates = bytes(received).count(b'"type":"update"')
    # The most this client alone held in the server: the transport's unsent bytes (up to its high-water mark and
    # one write) and its backlog's slots, whatever was published.
    one_frame = 1024
    assert 0 < held <= HIGH_WATER + WRITER_LIMIT + one_frame + 8 * settings.ws_backlog, held
    print(f"a lagging client held at most {held:,} bytes in the server; dropped after {updates:,} of {sent:,}")
    # Dropped long before everything was sent: what waited for it was bounded by buffers and its backlog, not
    # by what was published.
    assert updates < sent // 2, (updates, sent)
    raw.close()
