"""Loading and validating the YAML configuration: every error names its file, line and field."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from renderers.fonts import font_names
from signage.dead_letter_limits import DeadLetterLimits, parse_size
from signage.feed_auth import credentials_problem, parse_networks
from signage.model import (
    FeedConfig,
    Lane,
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
from signage.profiles import BUILT_IN_PROFILES
from signage.protocol import topic_matcher
from signage.schedule import Schedule, TimeWindow, parse_schedule
from signage.templates import TemplateLibrary, TemplateProblem, TemplateSpec
from signage.timeutil import parse_duration
from signage.yamlsource import LocatedDict, LocatedList, load_located

__all__ = [
    "FEED_FORMATS",
    "Config",
    "ConfigError",
    "ConfigInvalid",
    "demo_config_path",
    "load_config",
    "load_templates",
]

FEED_FORMATS = ("ngsi-v2", "ngsi-ld", "gtfs-rt", "siri", "cap", "datex2", "atmo", "mqtt", "webhook", "http-poll")
CHANNELS = ("panels", "kiosks", "websocket", "push")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")
MAX_CONFIG_BYTES = 4 * 1024 * 1024


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
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    cap_sender: str = "signage@localhost"  # who the CAP documents the engine publishes come from
    trusted_proxies: tuple[str, ...] = ()  # reverse proxies whose X-Forwarded-For names the client

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


def _templates_dir() -> Path:
    return Path(str(resources.files("content").joinpath("templates")))


def load_templates(directories: list[Path], errors: list[ConfigError]) -> TemplateLibrary:
    specs: dict[str, TemplateSpec] = {}
    for directory in directories:
        for path in sorted(directory.glob("*.yaml")):
            try:
                data = load_located(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, ValueError) as exc:
                errors.append(ConfigError(str(path), _yaml_line(exc), "template", str(exc)))
                continue
            if not isinstance(data, LocatedDict) or not isinstance(data.get("id"), str):
                errors.append(ConfigError(str(path), 1, "id", "a template needs an id"))
                continue
            variants = {k: v for k, v in data.items() if isinstance(v, dict) and len(k) == 2}
            if not variants:
                errors.append(ConfigError(str(path), data.line, "fr", "a template needs a language variant"))
                continue
            example = data.get("example", {})
            if not isinstance(example, dict):
                errors.append(ConfigError(str(path), data.line, "example", "example: parameter names and values"))
                continue
            spec = TemplateSpec(data["id"], variants, str(data.get("description", "")),
                                str(data.get("pictogram", "")), dict(example))
            try:
                TemplateLibrary({spec.id: spec})  # compiled alone first, so a problem names its file
            except TemplateProblem as exc:
                errors.append(ConfigError(str(path), data.line, "template", str(exc)))
                continue
            specs[spec.id] = spec
    try:
        return TemplateLibrary(specs)
    except TemplateProblem as exc:
        errors.append(ConfigError(str(directories[-1]), 1, "template", str(exc)))
        return TemplateLibrary({})


def _is_variable(name: object) -> bool:
    return isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None


def _yaml_line(exc: Exception) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    match = re.match(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else 1


class _Reader:
    """Collects errors while reading one file; each accessor returns a usable default after an error."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[ConfigError] = []

    def error(self, where: LocatedDict | LocatedList, key: str | int, path: str, message: str) -> None:
        line = where.line_of(key) if isinstance(where, LocatedDict) and isinstance(key, str) else where.line
        if isinstance(where, LocatedList) and isinstance(key, int):
            line = where.line_of(key)
        self.errors.append(ConfigError(self.file, line, path, message))

    def mapping(self, parent: LocatedDict, key: str, path: str, required: bool = False) -> LocatedDict:
        value = parent.get(key)
        if value is None:
            if required:
                self.error(parent, key, path, "is required")
            empty = LocatedDict()
            empty.line, empty.key_lines = parent.line_of(key), {}
            return empty
        if not isinstance(value, LocatedDict):
            self.error(parent, key, path, "must be a mapping")
            empty = LocatedDict()
            empty.line, empty.key_lines = parent.line_of(key), {}
            return empty
        return value

    def items(self, parent: LocatedDict, key: str, path: str) -> list[tuple[int, LocatedDict]]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, LocatedList):
            self.error(parent, key, path, "must be a list")
            return []
        result = []
        for index, item in enumerate(value):
            if isinstance(item, LocatedDict):
                result.append((index, item))
            else:
                self.error(value, index, f"{path}[{index}]", "must be a mapping")
        return result

    def text(self, parent: LocatedDict, key: str, path: str, default: str | None = None) -> str:
        value = parent.get(key, default)
        if value is None:
            self.error(parent, key, path, "is required")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.error(parent, key, path, "must be non-empty text")
            return ""
        return value

    def identifier(self, parent: LocatedDict, key: str, path: str) -> str:
        value = self.text(parent, key, path)
        if value and not _ID.match(value):
            self.error(parent, key, path, f"{value!r} is not a valid id (lowercase letters, digits, . _ -)")
        return value

    def number(self, parent: LocatedDict, key: str, path: str, default: float | None = None) -> float:
        value = parent.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(parent, key, path, "must be a number" if key in parent else "is required")
            return 0.0
        return float(value)

    def integer(self, parent: LocatedDict, key: str, path: str, default: int | None = None) -> int:
        value = parent.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(parent, key, path, "must be a whole number" if key in parent else "is required")
            return 0
        return value

    def strings(self, parent: LocatedDict, key: str, path: str) -> tuple[str, ...]:
        value = parent.get(key, [])
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(parent, key, path, "must be a list of text")
            return ()
        return tuple(value)

    def unknown_keys(self, parent: LocatedDict, allowed: set[str], path: str) -> None:
        for key in parent:
            if key not in allowed:
                self.error(parent, key, f"{path}.{key}" if path else key, "is not a known field")

    def check_unique(self, seen: dict[str, int], value: str, item: LocatedDict, key: str, path: str) -> None:
        if value in seen:
            self.error(item, key, path, f"{value!r} is already defined on line {seen[value]}")
        seen[value] = item.line_of(key)


def load_config(path: Path | str) -> Config:
    """Read, validate and compile a configuration file, or raise ``ConfigInvalid`` with every error."""
    path = Path(path)
    file = str(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigInvalid([ConfigError(file, 0, "file", f"cannot read: {exc.strerror}")]) from exc
    if len(raw_bytes) > MAX_CONFIG_BYTES:
        raise ConfigInvalid([ConfigError(file, 0, "file", f"larger than {MAX_CONFIG_BYTES} bytes")])
    try:
        data = load_located(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigInvalid([ConfigError(file, 1, "file", "is not UTF-8 text")]) from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigInvalid([ConfigError(file, _yaml_line(exc), "yaml", str(exc).replace("\n", " "))]) from exc
    if not isinstance(data, LocatedDict):
        raise ConfigInvalid([ConfigError(file, 1, "file", "must be a mapping at the top level")])
    return _Builder(file, path.parent).build(data)


class _Builder:
    def __init__(self, file: str, base: Path) -> None:
        self.r = _Reader(file)
        self.base = base

    def build(self, data: LocatedDict) -> Config:
        r = self.r
        r.unknown_keys(
            data,
            {"city", "timezone", "languages", "profiles", "zones", "panels", "feeds", "topics", "rules", "push",
             "scheduled",
             "templates_dir", "cap_sender", "trusted_proxies"},
            "",
        )
        city = r.text(data, "city", "city", default="")
        timezone = r.text(data, "timezone", "timezone", default="Europe/Paris")
        languages = r.strings(data, "languages", "languages") or ("fr", "en")
        profiles = self._profiles(data)
        zones = self._zones(data)
        panels = self._panels(data, profiles, zones)
        feeds = self._feeds(data)
        push = self._push_policy(data, "push", "push") or PushPolicy()
        topics = tuple(
            TopicConfig(
                r.text(item, "pattern", f"topics[{i}].pattern"),
                r.text(item, "title", f"topics[{i}].title"),
                bool(item.get("public", True)),
                self._push_policy(item, "push", f"topics[{i}].push"),
            )
            for i, item in r.items(data, "topics", "topics")
        )
        template_dirs = [_templates_dir()]
        if "templates_dir" in data:
            template_dirs.append(self.base / r.text(data, "templates_dir", "templates_dir"))
        templates = load_templates(template_dirs, r.errors)
        rules = self._rules(data, zones, panels, templates, timezone)
        for panel in panels.values():
            if panel.default_template not in templates:
                r.errors.append(
                    ConfigError(r.file, 0, f"panels.{panel.id}.default_template",
                                f"unknown template {panel.default_template!r}")
                )
        cap_sender = r.text(data, "cap_sender", "cap_sender", default="signage@localhost")
        if not re.fullmatch(r"[^\s,<&]+", cap_sender):
            r.error(data, "cap_sender", "cap_sender", "must have no spaces, commas, '<' or '&' (CAP 1.2 sender)")
        trusted_proxies = r.strings(data, "trusted_proxies", "trusted_proxies")
        try:
            parse_networks(trusted_proxies)
        except ValueError as exc:
            r.error(data, "trusted_proxies", "trusted_proxies", str(exc))
        if r.errors:
            raise ConfigInvalid(sorted(r.errors, key=lambda e: (e.line, e.field)))
        return Config(r.file, city, timezone, languages, profiles, zones, panels, feeds, topics, rules,
                      templates, push, data, cap_sender, trusted_proxies)

    def _profiles(self, data: LocatedDict) -> dict[str, Profile]:
        r = self.r
        profiles = dict(BUILT_IN_PROFILES)
        section = r.mapping(data, "profiles", "profiles")
        for name, item in section.items():
            path = f"profiles.{name}"
            if not isinstance(item, LocatedDict):
                r.error(section, name, path, "must be a mapping")
                continue
            r.unknown_keys(item, {"kind", "width_px", "height_px", "lines", "chars_per_line", "colour", "font",
                                  "fonts", "max_pages", "page_time_s"}, path)
            kind_text = r.text(item, "kind", f"{path}.kind")
            try:
                kind = ProfileKind(kind_text)
            except ValueError:
                if kind_text:
                    r.error(item, "kind", f"{path}.kind",
                            f"must be one of {', '.join(k.value for k in ProfileKind)}")
                kind = ProfileKind.FULL
            profile = Profile(
                name, kind,
                r.integer(item, "width_px", f"{path}.width_px"),
                r.integer(item, "height_px", f"{path}.height_px"),
                r.integer(item, "lines", f"{path}.lines"),
                r.integer(item, "chars_per_line", f"{path}.chars_per_line"),
                r.text(item, "colour", f"{path}.colour", default="amber"),
                r.text(item, "font", f"{path}.font", default="5x7"),
                r.integer(item, "max_pages", f"{path}.max_pages", default=4),
                r.number(item, "page_time_s", f"{path}.page_time_s", default=3.0),
                r.strings(item, "fonts", f"{path}.fonts"),
            )
            known_fonts = font_names()
            for font in {profile.font, *profile.fonts} if kind is not ProfileKind.KIOSK else ():
                if font not in known_fonts:
                    r.error(item, "fonts" if font in profile.fonts else "font", f"{path}.font",
                            f"unknown font {font!r} (shipped: {', '.join(known_fonts)})")
            for attr in ("width_px", "height_px", "lines", "chars_per_line", "max_pages"):
                if attr in item and getattr(profile, attr) <= 0:
                    r.error(item, attr, f"{path}.{attr}", "must be positive")
            profiles[name] = profile
        return profiles

    def _zones(self, data: LocatedDict) -> dict[str, Zone]:
        r = self.r
        zones: dict[str, Zone] = {}
        seen: dict[str, int] = {}
        items = r.items(data, "zones", "zones")
        for i, item in items:
            path = f"zones[{i}]"
            r.unknown_keys(item, {"id", "name", "codes", "parent"}, path)
            zone_id = r.identifier(item, "id", f"{path}.id")
            r.check_unique(seen, zone_id, item, "id", f"{path}.id")
            parent = item.get("parent")
            zones[zone_id] = Zone(zone_id, r.text(item, "name", f"{path}.name"),
                                  r.strings(item, "codes", f"{path}.codes"),
                                  parent if isinstance(parent, str) else None)
        for i, item in items:
            parent = item.get("parent")
            if parent is not None and parent not in zones:
                r.error(item, "parent", f"zones[{i}].parent", f"unknown zone {parent!r}")
        return zones

    def _panels(self, data: LocatedDict, profiles: dict[str, Profile], zones: dict[str, Zone]) -> dict[str, Panel]:
        r = self.r
        panels: dict[str, Panel] = {}
        seen: dict[str, int] = {}
        for i, item in r.items(data, "panels", "panels"):
            path = f"panels[{i}]"
            r.unknown_keys(item, {"id", "name", "place", "lat", "lon", "zone", "profile", "tags", "language",
                                  "default_template", "stream"}, path)
            panel_id = r.identifier(item, "id", f"{path}.id")
            r.check_unique(seen, panel_id, item, "id", f"{path}.id")
            zone = r.text(item, "zone", f"{path}.zone")
            if zone and zone not in zones:
                r.error(item, "zone", f"{path}.zone", f"unknown zone {zone!r}")
            profile = r.text(item, "profile", f"{path}.profile")
            if profile and profile not in profiles:
                r.error(item, "profile", f"{path}.profile",
                        f"unknown profile {profile!r} (known: {', '.join(sorted(profiles))})")
            lat = r.number(item, "lat", f"{path}.lat")
            lon = r.number(item, "lon", f"{path}.lon")
            if not -90 <= lat <= 90:
                r.error(item, "lat", f"{path}.lat", "must be between -90 and 90")
            if not -180 <= lon <= 180:
                r.error(item, "lon", f"{path}.lon", "must be between -180 and 180")
            panels[panel_id] = Panel(
                panel_id, r.text(item, "name", f"{path}.name"), r.text(item, "place", f"{path}.place", default=""
                                                                         ) if "place" in item else "",
                lat, lon, zone, profile, r.strings(item, "tags", f"{path}.tags"),
                r.text(item, "language", f"{path}.language", default="fr"),
                r.text(item, "default_template", f"{path}.default_template", default="default"),
                self._stream(item, path, profiles.get(profile)),
            )
        return panels

    def _stream(self, item: LocatedDict, path: str, profile: Profile | None) -> StreamTarget | None:
        if "stream" not in item:
            return None
        url = self.r.text(item, "stream", f"{path}.stream")
        try:
            target = StreamTarget.parse(url)
        except ValueError as exc:
            self.r.error(item, "stream", f"{path}.stream", str(exc))
            return None
        if profile is not None and profile.kind is not ProfileKind.FULL:
            self.r.error(item, "stream", f"{path}.stream", "only full-matrix panels take streamed frames")
            return None
        return target

    def _feeds(self, data: LocatedDict) -> dict[str, FeedConfig]:
        r = self.r
        feeds: dict[str, FeedConfig] = {}
        seen: dict[str, int] = {}
        for i, item in r.items(data, "feeds", "feeds"):
            path = f"feeds[{i}]"
            feed_id = r.identifier(item, "id", f"{path}.id")
            r.check_unique(seen, feed_id, item, "id", f"{path}.id")
            fmt = r.text(item, "format", f"{path}.format")
            if fmt and fmt not in FEED_FORMATS:
                r.error(item, "format", f"{path}.format", f"must be one of {', '.join(FEED_FORMATS)}")
            try:
                max_age = parse_duration(item.get("max_age", "15m"))
            except ValueError as exc:
                r.error(item, "max_age", f"{path}.max_age", str(exc))
                max_age = parse_duration("15m")
            options = {k: v for k, v in item.items() if k not in {"id", "format", "max_age"}}
            self._feed_access(item, options, fmt, path)
            if "secret" in options:
                r.error(item, "secret", f"{path}.secret",
                        "a secret never goes in the configuration file: name its variable with secret_env")
            if "secret_env" in options:
                # The secret itself comes from the environment when the configuration is loaded.
                options["secret"] = os.environ.get(str(options["secret_env"]), "")
            entities = options.get("entities")
            if entities is not None:
                self._entity_mappings(item, entities, path)
            feed = FeedConfig(feed_id, fmt, max_age, options)
            if feed_id and (problem := credentials_problem(feed)) is not None:
                r.error(item, "id", f"{path}.auth", problem)
            feeds[feed_id] = feed
        return feeds

    def _feed_access(self, item: LocatedDict, options: dict[str, Any], fmt: str, path: str) -> None:
        """Who may deliver (``auth``, ``allow_anonymous``, ``allow_from``, ``senders``), how the engine signs in to
        what it fetches (``headers_env``, ``username_env``, ``password_env``, ``ca_file_env``) and how many refused
        deliveries it keeps (``dead_letters``)."""
        r = self.r
        if "auth" in item and item["auth"] != "token":
            r.error(item, "auth", f"{path}.auth", "must be token (deliveries carry a token from signage feeds token)")
        if "allow_anonymous" in item and not isinstance(item["allow_anonymous"], bool):
            r.error(item, "allow_anonymous", f"{path}.allow_anonymous", "must be true or false")
        if "allow_from" in item:
            try:
                parse_networks(r.strings(item, "allow_from", f"{path}.allow_from"))
            except ValueError as exc:
                r.error(item, "allow_from", f"{path}.allow_from", str(exc))
        if "senders" in item:
            if fmt != "cap":
                r.error(item, "senders", f"{path}.senders", "only a cap feed has senders")
            options["senders"] = list(r.strings(item, "senders", f"{path}.senders"))
        for name in ("username_env", "password_env", "ca_file_env", "secret_env"):
            if name in item and not _is_variable(item[name]):
                r.error(item, name, f"{path}.{name}", "must name an environment variable")
        headers = item.get("headers_env")
        if headers is not None and (not isinstance(headers, dict) or not all(
                isinstance(k, str) and _is_variable(v) for k, v in headers.items())):
            r.error(item, "headers_env", f"{path}.headers_env",
                    "must map header names to environment variables (Authorization: CITY_API_TOKEN)")
        limits = r.mapping(item, "dead_letters", f"{path}.dead_letters")
        r.unknown_keys(limits, {"max_count", "max_bytes", "keep"}, f"{path}.dead_letters")
        try:
            default = DeadLetterLimits.DEFAULT
            options["dead_letters"] = DeadLetterLimits(
                r.integer(limits, "max_count", f"{path}.dead_letters.max_count", default.max_count),
                parse_size(limits.get("max_bytes", default.max_bytes)),
                parse_duration(limits["keep"]) if "keep" in limits else default.keep,
            ).to_json()
        except ValueError as exc:
            r.error(limits, "max_bytes" if "max_bytes" in limits else "keep", f"{path}.dead_letters", str(exc))

    def _entity_mappings(self, item: LocatedDict, entities: Any, path: str) -> None:
        r = self.r
        if not isinstance(entities, LocatedDict):
            r.error(item, "entities", f"{path}.entities", "must map entity types to a key and fields")
            return
        for entity_type, mapping in entities.items():
            where = f"{path}.entities.{entity_type}"
            if not isinstance(mapping, LocatedDict):
                r.error(entities, entity_type, where, "must be a mapping with key and fields")
                continue
            key = r.text(mapping, "key", f"{where}.key")
            if key and "{id}" not in key:
                r.error(mapping, "key", f"{where}.key", "must contain {id} (the entity's short id)")
            fields = mapping.get("fields")
            if not isinstance(fields, LocatedDict) or not all(isinstance(v, str) for v in fields.values()):
                r.error(mapping, "fields", f"{where}.fields", "must map field names to attribute names")

    def _targets(self, item: LocatedDict, path: str, zones: dict[str, Zone], panels: dict[str, Panel]) -> Targets:
        r = self.r
        r.unknown_keys(item, {"everywhere", "panels", "zones", "tags", "topics"}, path)
        targets = Targets(
            bool(item.get("everywhere", False)),
            r.strings(item, "panels", f"{path}.panels"),
            r.strings(item, "zones", f"{path}.zones"),
            r.strings(item, "tags", f"{path}.tags"),
            r.strings(item, "topics", f"{path}.topics"),
        )
        for zone in targets.zones:
            if zone not in zones:
                r.error(item, "zones", f"{path}.zones", f"unknown zone {zone!r}")
        for panel in targets.panels:
            if panel not in panels:
                r.error(item, "panels", f"{path}.panels", f"unknown panel {panel!r}")
        if not (targets.everywhere or targets.panels or targets.zones or targets.tags or targets.topics):
            r.error(item, "everywhere", path,
                    "a rule must target something (everywhere, panels, zones, tags or topics)")
        return targets

    def _push_policy(self, parent: LocatedDict, key: str, path: str) -> PushPolicy | None:
        r = self.r
        if key not in parent:
            return None
        node = r.mapping(parent, key, path)
        r.unknown_keys(node, {"quiet_hours", "min_interval"}, path)
        default = PushPolicy()
        quiet: TimeWindow | None = default.quiet_hours
        if "quiet_hours" in node:
            try:
                quiet = None if node["quiet_hours"] in (None, False, "none") else TimeWindow.parse(
                    str(node["quiet_hours"]))
            except ValueError as exc:
                r.error(node, "quiet_hours", f"{path}.quiet_hours", str(exc))
        interval = default.min_interval
        if "min_interval" in node:
            try:
                interval = parse_duration(node["min_interval"])
            except ValueError as exc:
                r.error(node, "min_interval", f"{path}.min_interval", str(exc))
        return PushPolicy(quiet, interval)

    def _duration(self, parent: LocatedDict, key: str, path: str) -> timedelta:
        if key not in parent:
            return timedelta(0)
        try:
            return parse_duration(parent[key])
        except ValueError as exc:
            self.r.error(parent, key, path, str(exc))
            return timedelta(0)

    def _rules(self, data: LocatedDict, zones: dict[str, Zone], panels: dict[str, Panel],
               templates: TemplateLibrary, timezone: str) -> tuple[RuleConfig, ...]:
        from signage.rules import RuleProblem, compile_expression

        r = self.r
        rules: list[RuleConfig] = []
        seen: dict[str, int] = {}
        items = [("rules", i, item) for i, item in r.items(data, "rules", "rules")]
        items += [("scheduled", i, item) for i, item in r.items(data, "scheduled", "scheduled")]
        for section, i, item in items:
            path = f"{section}[{i}]"
            if section == "scheduled":
                if "when" in item:
                    r.error(item, "when", f"{path}.when", "scheduled content has a schedule, not a condition")
                if "schedule" not in item:
                    r.error(item, "id", f"{path}.schedule", "is required for scheduled content")
            r.unknown_keys(item, {"id", "description", "when", "clear_when", "for", "schedule", "cooldown", "then"},
                           path)
            rule_id = r.identifier(item, "id", f"{path}.id")
            r.check_unique(seen, rule_id, item, "id", f"{path}.id")
            when = "true" if section == "scheduled" else r.text(item, "when", f"{path}.when")
            try:
                if when:
                    compile_expression(when)
            except RuleProblem as exc:
                r.error(item, "when", f"{path}.when", str(exc))
            clear_when = None
            if "clear_when" in item:
                clear_when = r.text(item, "clear_when", f"{path}.clear_when")
                try:
                    if clear_when:
                        compile_expression(clear_when)
                except RuleProblem as exc:
                    r.error(item, "clear_when", f"{path}.clear_when", str(exc))
            schedule: Schedule | None = None
            if "schedule" in item:
                try:
                    schedule = parse_schedule(item["schedule"], timezone)
                except ValueError as exc:
                    r.error(item, "schedule", f"{path}.schedule", str(exc))
            hold_for = self._duration(item, "for", f"{path}.for")
            cooldown = self._duration(item, "cooldown", f"{path}.cooldown")
            then = r.mapping(item, "then", f"{path}.then", required=True)
            r.unknown_keys(then, {"template", "params", "targets", "channels", "priority", "ttl", "push"},
                           f"{path}.then")
            push = self._push_policy(then, "push", f"{path}.then.push")
            template = r.text(then, "template", f"{path}.then.template")
            if template and template not in templates:
                r.error(then, "template", f"{path}.then.template", f"unknown template {template!r}")
            params_node = r.mapping(then, "params", f"{path}.then.params")
            params: dict[str, str] = {}
            for name, expr in params_node.items():
                if not isinstance(expr, str):
                    r.error(params_node, name, f"{path}.then.params.{name}", "must be a CEL expression (text)")
                    continue
                try:
                    compile_expression(expr)
                except RuleProblem as exc:
                    r.error(params_node, name, f"{path}.then.params.{name}", str(exc))
                params[name] = expr
            targets = self._targets(r.mapping(then, "targets", f"{path}.then.targets", required=True),
                                    f"{path}.then.targets", zones, panels)
            channels = r.strings(then, "channels", f"{path}.then.channels") or ("panels", "kiosks", "websocket")
            for channel in channels:
                if channel not in CHANNELS:
                    r.error(then, "channels", f"{path}.then.channels",
                            f"unknown channel {channel!r} (known: {', '.join(CHANNELS)})")
            ttl = None
            if "ttl" in then:
                try:
                    ttl = parse_duration(then["ttl"])
                except ValueError as exc:
                    r.error(then, "ttl", f"{path}.then.ttl", str(exc))
            priority = r.integer(then, "priority", f"{path}.then.priority", default=50)
            if not 0 <= priority <= 100:
                r.error(then, "priority", f"{path}.then.priority", "must be between 0 and 100")
            if "push" in channels and not targets.topics:
                r.error(then, "channels", f"{path}.then.channels", "push needs targets.topics to push to")
            rules.append(RuleConfig(rule_id, when, template, params, targets, channels, priority, ttl,
                                    item.line, str(item.get("description", "")), clear_when or None, hold_for,
                                    schedule, cooldown, push,
                                    Lane.SCHEDULE if section == "scheduled" else Lane.RULE))
        return tuple(rules)
