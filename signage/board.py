"""The message board: per panel, which messages win the face, and why.

Alerts pre-empt operators, operators pre-empt rules, rules pre-empt scheduled content; equal priorities in the
winning lane share the face as pages; every panel falls back to its default, so none is ever blank. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from signage.model import Lane, Message, Panel, Targets

__all__ = ["Decision", "resolve", "targets_panel"]


@dataclass(frozen=True, slots=True)
class Decision:
    panel_id: str
    shown: tuple[Message, ...]
    lane: Lane
    reason: str
    competing: tuple[tuple[str, str], ...]  # (message id, why it is not shown)


def targets_panel(targets: Targets, panel: Panel, zone_chain: Sequence[str]) -> bool:
    """Whether a message aimed at ``targets`` reaches ``panel`` (zones match the panel's zone or any parent)."""
    return (
        targets.everywhere
        or panel.id in targets.panels
        or any(zone in targets.zones for zone in zone_chain)
        or any(tag in targets.tags for tag in panel.tags)
    )


def resolve(
    panel: Panel,
    zone_chain: Sequence[str],
    channel: str,
    messages: Iterable[Message],
    default: Message,
    max_pages: int,
    targeted: bool = False,
    unfit: Mapping[str, str] | None = None,
) -> Decision:
    """Decide what ``panel`` shows among ``messages``; ``channel`` is ``panels`` or ``kiosks``.

    ``targeted`` says the caller passes only messages already known to target the panel; ``unfit`` names the
    messages the sign's face cannot hold, with why: they stand aside, so that the next lane shows rather than
    nothing.
    """
    candidates: list[Message] = []
    competing: list[tuple[str, str]] = []
    unfit = unfit or {}
    for message in messages:
        if not targeted and not targets_panel(message.targets, panel, zone_chain):
            continue
        if channel not in message.channels:
            competing.append((message.id, f"not sent to {channel}"))
            continue
        if message.id in unfit:
            competing.append((message.id, f"does not fit this sign: {unfit[message.id]}"))
            continue
        candidates.append(message)
    if not candidates:
        return Decision(panel.id, (default,), Lane.DEFAULT, "no active message targets this panel: default",
                        tuple(competing))
    top_lane = max(m.lane for m in candidates)
    in_lane = [m for m in candidates if m.lane == top_lane]
    top_priority = max(m.priority for m in in_lane)
    winners = sorted((m for m in in_lane if m.priority == top_priority), key=lambda m: (m.activated_at, m.id))
    shown = winners[:max_pages]
    for message in winners[max_pages:]:
        competing.append((message.id, f"no page left (the sign shows at most {max_pages})"))
    for message in candidates:
        if message.lane < top_lane:
            competing.append((message.id, f"pre-empted by the {top_lane.name.lower()} lane"))
        elif message.lane == top_lane and message.priority < top_priority:
            competing.append((message.id, f"lower priority ({message.priority} < {top_priority})"))
    lane_name = top_lane.name.lower()
    if len(shown) == 1:
        reason = f"{lane_name} message {shown[0].id!r} (priority {top_priority}) wins"
    else:
        reason = f"{len(shown)} {lane_name} messages of priority {top_priority} share the face as pages"
    return Decision(panel.id, tuple(shown), top_lane, reason, tuple(sorted(competing)))
