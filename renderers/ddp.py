"""DDP (Distributed Display Protocol, 3waylabs.com/ddp) packets for pixel walls: pure, no sockets.

Header, 10 bytes: flags (version 1 = 0x40, push = 0x01 on the last packet of a frame so the display latches it),
sequence (1-15, 0 = unused), data type (0x0B: RGB, 8 bits per channel), destination id (1 = display), data offset
(u32, big-endian, in bytes), data length (u16, big-endian). At most 1,440 data bytes per packet (480 RGB pixels),
so a packet fits an Ethernet frame. The default port is 4048.
"""

from __future__ import annotations

import struct

__all__ = ["DDP_PORT", "MAX_DATA", "ddp_packets"]

DDP_PORT = 4048
MAX_DATA = 1440
VERSION_1 = 0x40
PUSH = 0x01
RGB8 = 0x0B
DISPLAY = 1


def ddp_packets(rgb: bytes, sequence: int, destination: int = DISPLAY) -> list[bytes]:
    """One frame of RGB bytes as DDP packets, split on pixel boundaries, push flag on the last."""
    if len(rgb) % 3:
        raise ValueError("an RGB frame has 3 bytes per pixel")
    sequence = (sequence - 1) % 15 + 1  # 1..15; 0 would tell the display not to check order
    packets = []
    chunks = [rgb[i : i + MAX_DATA] for i in range(0, len(rgb), MAX_DATA)] or [b""]
    for index, chunk in enumerate(chunks):
        flags = VERSION_1 | (PUSH if index == len(chunks) - 1 else 0)
        header = struct.pack(">BBBBIH", flags, sequence, RGB8, destination, index * MAX_DATA, len(chunk))
        packets.append(header + chunk)
    return packets
