"""A city's configuration as the engine uses it, and the errors a configuration file can have. Pure."""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from signage.model import FeedConfig, Panel, Profile, PushPolicy, RuleConfig, TopicConfig, Zone
from signage.protocol import topic_matcher
from signage.template_filters import TextSettings
from signage.templates import TemplateLibrary

__all__ = ["Config", "ConfigError", "ConfigInvalid", "demo_config_path"]


@dataclass(frozen=True, slots=True)
class ConfigError:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ConfigInvalid(Exception):
    """The configuration has errors; ``errors`` lists every one of them."""

    def __init__(self, errors: list[ConfigError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Config:
    source: str
    city: str
    timezone: str
    languages: tuple[str, ...]
    profiles: Mapping[str, Profile]
    zones: Mapping[str, Zone]
    panels: Mapping[str, Panel]
    feeds: Mapping[str, FeedConfig]
    topics: tuple[TopicConfig, ...]
    rules: tuple[RuleConfig, ...]
    templates: TemplateLibrary
    push: PushPolicy = field(default_factory=PushPolicy)
    cap_sender: str = "signage@localhost"  # who the CAP documents the engine publishes come from
    trusted_proxies: tuple[str, ...] = ()  # reverse proxies whose X-Forwarded-For names the client

    @property
    def text_settings(self) -> TextSettings:
        """What texts need of the city: its time zone and languages."""
        return TextSettings(self.timezone, self.languages)

    @functools.cached_property
    def topic_names(self) -> re.Pattern[str]:
        """The topics a client may subscribe to: the public families configured, and ``alerts/``, ``panel/``."""
        return topic_matcher(t.pattern for t in self.topics if t.public)

    def push_policy(self, topic: str, rule_policy: PushPolicy | None) -> PushPolicy:
        """The policy for one push: the city's default, the rule's and the topic family's, all holding."""
        policy = self.push.merge(rule_policy)
        for family in self.topics:
            if fnmatch.fnmatchcase(topic, family.pattern):
                policy = policy.merge(family.push)
        return policy

    def zone_ancestors(self, zone_id: str) -> list[str]:
        """The zone and every zone that contains it, innermost first."""
        chain: list[str] = []
        current: str | None = zone_id
        while current is not None and current not in chain:
            chain.append(current)
            zone = self.zones.get(current)
            current = zone.parent if zone else None
        return chain

    def zones_for_code(self, code: str) -> list[str]:
        """Zones an alerting system's geocode (``NUTS3:FR261``, ``INSEE:21231``…) stands for."""
        return [zone.id for zone in self.zones.values() if code in zone.codes]


def demo_config_path() -> Path:
    return Path(str(resources.files("signage.demo").joinpath("dijon.yaml")))
