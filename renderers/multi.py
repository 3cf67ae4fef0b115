"""NTCIP 1203 MULTI generation for text and matrix signs (pages of centred lines, page time in tenths)."""

from __future__ import annotations

from collections.abc import Sequence

from signage.model import Profile

__all__ = ["escape", "pages_to_multi"]


def escape(text: str) -> str:
    """Literal brackets are doubled in MULTI (NTCIP 1203 §6.4.1)."""
    return text.replace("[", "[[").replace("]", "]]")


def pages_to_multi(pages: Sequence[Sequence[str]], profile: Profile) -> str:
    """One page per item, lines centred; page time is only written when there is more than one page."""
    body = "[np]".join("[nl]".join(escape(line) for line in page) for page in pages)
    if len(pages) > 1:
        tenths = round(profile.page_time_s * 10)
        return f"[pt{tenths}o0][jl3]{body}"
    return f"[jl3]{body}"
