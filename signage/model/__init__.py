"""The engine's values: the city as set up (``setup``) and what happens in it (``live``). Frozen, validated where
they are built, and plain enough to cross the bus as JSON."""

from __future__ import annotations

from signage.model.live import Alert, Message, Observation
from signage.model.setup import (
    JSON,
    FeedConfig,
    Lane,
    NtcipTarget,
    Panel,
    Profile,
    ProfileKind,
    PushPolicy,
    RuleConfig,
    StreamTarget,
    Targets,
    TopicConfig,
    Zone,
)

__all__ = ["JSON", "Alert", "FeedConfig", "Lane", "Message", "NtcipTarget", "Observation", "Panel", "Profile",
           "ProfileKind", "PushPolicy", "RuleConfig", "StreamTarget", "Targets", "TopicConfig", "Zone"]
