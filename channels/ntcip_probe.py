"""``signage ntcip probe``: what an installer needs to know of a sign before a panel names it, read over SNMP."""

from __future__ import annotations

from typing import Any

from channels.ntcip_sign import NtcipSign
from channels.snmp_link import SnmpCredentials, SnmpEngines, SnmpLink
from renderers.crc import MULTI_ENCODING
from renderers.ntcip_mib import MemoryType, column, object_name

__all__ = ["probe", "probe_lines"]


async def probe(host: str, port: int, credentials: SnmpCredentials, timeout_s: float = 2.0,
                retries: int = 2) -> dict[str, Any]:
    """The sign's capabilities, health and current message. Raises ``DeviceError`` when it cannot be read."""
    engines = SnmpEngines()
    try:
        link = SnmpLink(engines, host, port, credentials, timeout_s=timeout_s, retries=retries, name=object_name)
        sign = NtcipSign(link)
        caps = await sign.capabilities()
        health = await sign.health()
        current: str | None = None
        if health.shows.memory_type in (MemoryType.CHANGEABLE, MemoryType.PERMANENT, MemoryType.VOLATILE):
            oid = column("dmsMessageMultiString", health.shows.memory_type, health.shows.number)
            value = (await link.get(oid)).get(oid)
            current = value.decode(MULTI_ENCODING, "replace") if isinstance(value, bytes) else None
        return {"address": f"{host}:{port}", "capabilities": caps.to_json(), "health": health.to_json(),
                "message": current}
    finally:
        engines.close()


def probe_lines(report: dict[str, Any]) -> list[str]:
    caps, health = report["capabilities"], report["health"]
    shows = health["shows"]
    temperatures = ", ".join(f"{place} {low}…{high} °C" for place, (low, high) in health["temperatures"].items())
    return [
        f"sign at {report['address']}",
        f"  kind:          {caps['kind']}-matrix, {caps['pixels'][0]}×{caps['pixels'][1]} pixels"
        + (f", {caps['characters'][1]} lines of {caps['characters'][0]} characters" if caps["characters"][0] else ""),
        f"  colours:       {caps['color_scheme']}",
        f"  fonts:         {', '.join(map(str, caps['fonts'])) or 'none'} (default {caps['default_font']})",
        f"  MULTI tags:    {' '.join(f'[{t}]' for t in caps['tags'])}",
        f"  limits:        {caps['max_pages']} pages, {caps['max_multi_length']} bytes, "
        f"{caps['changeable_messages']} changeable messages",
        f"  control:       {health['control']}",
        f"  faults:        {', '.join(health['faults']) or 'none'}",
        f"  brightness:    {health['brightness_pct']} %" if health["brightness_pct"] is not None else
        "  brightness:    not reported",
        f"  temperatures:  {temperatures or 'not reported'}",
        f"  shows:         message {shows['memory_type']}.{shows['number']} (CRC {shows['crc']:#06x}), "
        f"put up by {health['source']}",
        f"  MULTI:         {report['message']!r}" if report["message"] is not None else "  MULTI:         (none)",
    ]


