"""The NTCIP 1203 message CRC (``dmsMessageCRC``).

CRC-16/X.25 (polynomial 0x1021 reflected, initial value and final XOR 0xFFFF; ``b"123456789"`` gives 0x906E) over
the MULTI string's bytes, then the beacon byte and the pixel-service byte, sent byte-swapped as IRIS and signs
expect. MULTI is sent in the sign's 8-bit character set, ISO 8859-15 here (French needs Œ and €).
"""

from __future__ import annotations

__all__ = ["MULTI_ENCODING", "crc16_x25", "message_crc"]

MULTI_ENCODING = "iso8859-15"


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def crc16_x25(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


def message_crc(multi: str, beacon: bool = False, pixel_service: bool = False) -> int:
    """``dmsMessageCRC`` of a message: raises ``UnicodeEncodeError`` for text the sign's charset cannot carry."""
    data = multi.encode(MULTI_ENCODING) + bytes([int(beacon), int(pixel_service)])
    crc = crc16_x25(data)
    return (crc >> 8) | (crc & 0xFF) << 8
