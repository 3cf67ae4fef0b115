"""E1.31 (Streaming ACN, ANSI E1.31-2018) data packets for pixel walls: pure, no sockets.

Pixels become DMX512 slots, three per pixel, 170 pixels (510 slots) per universe so that no pixel straddles two
universes. Each packet is the 126-byte header (root layer ``ASC-E1.17``, framing layer with source name, priority,
sequence and universe, DMP layer) followed by start code 0 and the slots. The default port is 5568.
"""

from __future__ import annotations

import struct
import uuid

__all__ = ["E131_PORT", "PIXELS_PER_UNIVERSE", "e131_packets"]

E131_PORT = 5568
PIXELS_PER_UNIVERSE = 170
ACN_IDENTIFIER = b"ASC-E1.17\x00\x00\x00"
VECTOR_ROOT_E131_DATA = 0x00000004
VECTOR_E131_DATA_PACKET = 0x00000002
VECTOR_DMP_SET_PROPERTY = 0x02


def _flags_and_length(length: int) -> int:
    return 0x7000 | length


def e131_packet(slots: bytes, universe: int, sequence: int, cid: uuid.UUID, source_name: str,
                priority: int = 100) -> bytes:
    if not 1 <= universe <= 63999:
        raise ValueError("E1.31 universes are 1 to 63999")
    if len(slots) > 512:
        raise ValueError("a universe has at most 512 slots")
    property_values = b"\x00" + slots  # DMX start code 0, then the slots
    dmp = struct.pack(">HBBHHH", _flags_and_length(10 + len(property_values)), VECTOR_DMP_SET_PROPERTY, 0xA1,
                      0, 1, len(property_values)) + property_values
    name = source_name.encode("utf-8")[:63].ljust(64, b"\x00")
    framing = struct.pack(">HI", _flags_and_length(77 + len(dmp)), VECTOR_E131_DATA_PACKET) + name + struct.pack(
        ">BHBBH", priority, 0, sequence & 0xFF, 0, universe) + dmp
    root = struct.pack(">HI", _flags_and_length(22 + len(framing)), VECTOR_ROOT_E131_DATA) + cid.bytes + framing
    return struct.pack(">HH", 0x0010, 0x0000) + ACN_IDENTIFIER + root


def e131_packets(rgb: bytes, first_universe: int, sequence: int, cid: uuid.UUID, source_name: str = "signage",
                 priority: int = 100) -> list[bytes]:
    """One RGB frame as one packet per universe, from ``first_universe`` on."""
    if len(rgb) % 3:
        raise ValueError("an RGB frame has 3 bytes per pixel")
    per = PIXELS_PER_UNIVERSE * 3
    return [e131_packet(rgb[i : i + per], first_universe + n, sequence, cid, source_name, priority)
            for n, i in enumerate(range(0, len(rgb), per))]
