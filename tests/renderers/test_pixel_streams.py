"""Pixel walls: packets checked by independent implementations (``sacn`` parses E1.31, ``python-led-ddp`` and the
DDP specification check DDP), and a running engine streaming a wall's frames over UDP."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import uuid
from pathlib import Path
from typing import Any

import yaml
from ddp.packet import Packet
from sacn import sACNreceiver
from sacn.messages.data_packet import DataPacket

from renderers.ddp import ddp_packets
from renderers.e131 import e131_packets
from renderers.multi_render import render_multi
from renderers.pictograms import pictogram_by_name
from renderers.raster import Raster
from signage.config import demo_config_path, load_config
from signage.settings import Settings
from tests.helpers import eventually


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

FRAME = bytes((i * 7) % 256 for i in range(192 * 64 * 3))


def test_ddp_packets_follow_the_specification() -> None:
    packets = ddp_packets(FRAME, sequence=17)
    assert len(packets) == -(-len(FRAME) // 1440)
    for index, packet in enumerate(packets):
        flags, sequence, data_type, destination, offset, length = struct.unpack(">BBBBIH", packet[:10])
        assert flags == (0x41 if index == len(packets) - 1 else 0x40)  # version 1; push on the last only
        assert sequence == 2  # 1..15, wrapping
        assert data_type == 0x0B and destination == 1  # RGB, 8 bits per channel; the display
        assert offset == index * 1440 and length == len(packet) - 10 <= 1440
        parsed = Packet.from_bytes(packet)  # python-led-ddp reads the same
        assert parsed.header.offset == offset and parsed.header.length == length
        assert parsed.header.packet_type.push == (index == len(packets) - 1)
    assert b"".join(p[10:] for p in packets) == FRAME


def test_e131_packets_are_read_by_the_sacn_package() -> None:
    cid = uuid.UUID("6b3f1d2e-0000-4000-8000-000000000001")
    packets = e131_packets(FRAME, first_universe=10, sequence=42, cid=cid, source_name="signage wall")
    assert len(packets) == -(-len(FRAME) // 510)
    for index, raw in enumerate(packets):
        packet = DataPacket.make_data_packet(list(raw))
        assert packet.universe == 10 + index
        assert packet.sequence == 42 and packet.priority == 100 and packet.sourceName == "signage wall"
        assert bytes(packet.cid) == cid.bytes
        slots = FRAME[index * 510 : (index + 1) * 510]
        assert bytes(packet.dmxData[: len(slots)]) == slots


def test_pictograms_stay_readable_on_a_monochrome_sign() -> None:
    """The P is lit and the square around it dark inside: the shape carries the meaning, not the colour."""
    amber = load_config(demo_config_path()).profiles["full-96x32-amber"]
    raster = render_multi("[g1,1,1]", amber).pages[0].raster
    art = raster.text_art().splitlines()
    assert art[0][:14] == "@" * 14 and art[1][:14] == "@" + "." * 12 + "@"
    assert art[4][:14] == "@..@@...@@@..@"
    picture = pictogram_by_name("air-4")
    assert picture is not None and picture.cells[7][7] == ((0, 0, 0), False)  # the digit is cut out of the disc


def _streaming_config(tmp_path: Path, ddp_port: int, e131_port: int) -> Path:
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    data["panels"] += [
        {"id": "wall-ddp", "name": "Mur Darcy", "place": "Place Darcy", "lat": 47.3226, "lon": 5.0341,
         "zone": "dijon-centre", "profile": "full-192x64-rgb", "tags": ["parking"],
         "stream": f"ddp://127.0.0.1:{ddp_port}"},
        {"id": "wall-e131", "name": "Mur Wilson", "place": "Place Wilson", "lat": 47.3156, "lon": 5.0443,
         "zone": "dijon-centre", "profile": "full-96x32-amber", "tags": ["parking"],
         "stream": f"e131://127.0.0.1:{e131_port}/7"},
    ]
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


class _DdpWall(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self._pending = bytearray()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        packet = Packet.from_bytes(data)
        end = packet.header.offset + len(packet.data)
        if len(self._pending) < end:
            self._pending.extend(bytes(end - len(self._pending)))
        self._pending[packet.header.offset : end] = packet.data
        if packet.header.packet_type.push:
            self.frames.append(bytes(self._pending))
            self._pending = bytearray()


async def _frame_of(client: Any, panel: str, profile: Any) -> Raster:
    content = await (await client.get(f"/api/v1/panels/{panel}/content")).json()
    return render_multi(content["multi"], profile).pages[0].raster


async def test_the_engine_streams_what_a_wall_shows_over_ddp_and_e131(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from signage.web.app import create_app
    from signage.web.keys import ENGINE

    loop = asyncio.get_running_loop()
    transport, ddp_wall = await loop.create_datagram_endpoint(_DdpWall, local_addr=("127.0.0.1", 0))
    ddp_port = transport.get_extra_info("sockname")[1]
    e131_port = free_udp_port()
    received: list[bytes] = []
    got_e131 = threading.Event()
    receiver = sACNreceiver(bind_address="127.0.0.1", bind_port=e131_port)

    def on_packet(packet: DataPacket) -> None:
        received.append(bytes(packet.dmxData))
        got_e131.set()

    receiver.register_listener("universe", on_packet, universe=7)
    receiver.start()
    try:
        config_path = _streaming_config(tmp_path, ddp_port, e131_port)
        settings = Settings(config_path=config_path, role="all", redis_url=None,
                            sqlite_path=str(tmp_path / "store.sqlite3"))
        client = await aiohttp_client(create_app(settings))
        await client.app[ENGINE].started.wait()
        config = load_config(config_path)
        rgb_expected = await _frame_of(client, "wall-ddp", config.profiles["full-192x64-rgb"])
        await eventually(lambda: bytes(rgb_expected.pixels) in ddp_wall.frames, what="the RGB frame on the DDP wall")
        amber_expected = await _frame_of(client, "wall-e131", config.profiles["full-96x32-amber"])
        assert await asyncio.to_thread(got_e131.wait, 5.0)
        assert received[-1][:510] == bytes(amber_expected.pixels[:510])  # universe 7 carries pixels 0-169
        assert any(received[-1][:510])  # something is lit
    finally:
        receiver.stop()
        transport.close()
