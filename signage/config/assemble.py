"""The whole city checked and assembled from its validated sections: what only the whole city can say (ids are
unique, a panel's zone and profile exist, a rule's template and targets exist, a feed says who may send to it),
then the engine's ``Config``. Pure."""

from __future__ import annotations

import csv
import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from renderers.fonts import font_names
from signage.city_schema import (
    CitySchema,
    FeedSchema,
    NtcipSchema,
    PanelSchema,
    ProfileSchema,
    PushSchema,
    RuleSchema,
    ScheduledSchema,
    TopicSchema,
    ZoneSchema,
)
from signage.config.city import Config
from signage.config.located import Errors
from signage.config.templates_loading import load_templates
from signage.dead_letter_limits import DeadLetterLimits
from signage.feed_auth import credentials_problem
from signage.model import (
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
from signage.profiles import BUILT_IN_PROFILES
from signage.rule_check import expression_problems, open_families
from signage.schedule import Schedule, parse_schedule
from signage.template_filters import TextSettings
from signage.templates import TemplateLibrary

__all__ = ["Parts", "assemble"]


@dataclass(frozen=True, slots=True)
class Parts:
    """The sections that are valid on their own, each list item with its index in the file."""

    city: CitySchema
    profiles: dict[str, ProfileSchema]
    zones: list[tuple[int, ZoneSchema]]
    panels: list[tuple[int, PanelSchema]]
    feeds: list[tuple[int, FeedSchema]]
    topics: list[tuple[int, TopicSchema]]
    rules: list[tuple[int, RuleSchema]]
    scheduled: list[tuple[int, ScheduledSchema]]


def _unique(items: list[tuple[str, int, Any]], errors: Errors) -> None:
    """Ids (of zones, of panels…) must be unique: (section, index, item) in file order."""
    seen: dict[str, int] = {}
    for section, index, item in items:
        if item.id in seen:
            errors.add((section, index, "id"), f"{item.id!r} is already defined on line {seen[item.id]}")
        seen.setdefault(item.id, errors.line((section, index, "id")))


def _policy(schema: PushSchema | None) -> PushPolicy | None:
    return None if schema is None else PushPolicy(schema.quiet_hours, schema.min_interval)


def _profiles(parts: Parts, errors: Errors) -> dict[str, Profile]:
    profiles = dict(BUILT_IN_PROFILES)
    known = font_names()
    for name, item in parts.profiles.items():
        profile = Profile(name, item.profile_kind, item.width_px, item.height_px, item.lines, item.chars_per_line,
                          item.colour, item.font, item.max_pages, item.page_time_s, tuple(item.fonts))
        for font in {profile.font, *profile.fonts} if profile.kind is not ProfileKind.KIOSK else ():
            if font not in known:
                errors.add(("profiles", name, "font"), f"unknown font {font!r} (shipped: {', '.join(known)})",
                           errors.line(("profiles", name, "fonts" if font in profile.fonts else "font")))
        profiles[name] = profile
    return profiles


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    """An unknown reference, with the names it could have been (the closest first, then every one)."""
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(names) if len(names) <= 40 else ", ".join(names[:40]) + f" … ({len(names)} in all)"
    return f"unknown {what} {name!r}{hint} (known: {listed})"


MAX_STOPS_FILE_BYTES = 50_000_000  # a large network's stops.txt is a few MB


def _zones(parts: Parts, errors: Errors) -> dict[str, Zone]:
    _unique([("zones", i, z) for i, z in parts.zones], errors)
    zones = {z.id: Zone(z.id, z.name, tuple(z.codes), z.parent) for _, z in parts.zones}
    for index, zone in parts.zones:
        if zone.parent is not None and zone.parent not in zones:
            errors.add(("zones", index, "parent"), _unknown("zone", zone.parent, zones))
    return zones


def _panels(parts: Parts, profiles: dict[str, Profile], zones: dict[str, Zone], errors: Errors) -> dict[str, Panel]:
    _unique([("panels", i, p) for i, p in parts.panels], errors)
    panels: dict[str, Panel] = {}
    for index, item in parts.panels:
        path = ("panels", index)
        if item.zone not in zones:
            errors.add((*path, "zone"), _unknown("zone", item.zone, zones))
        if item.profile not in profiles:
            errors.add((*path, "profile"), _unknown("profile", item.profile, profiles))
        stream = None
        if item.stream is not None:
            try:
                stream = StreamTarget.parse(item.stream)
            except ValueError as exc:
                errors.add((*path, "stream"), str(exc))
            profile = profiles.get(item.profile)
            if stream is not None and profile is not None and profile.kind is not ProfileKind.FULL:
                errors.add((*path, "stream"), "only full-matrix panels take streamed frames")
                stream = None
        ntcip = None
        if item.ntcip is not None:
            ntcip = _ntcip_target(item.ntcip)
            profile = profiles.get(item.profile)
            if profile is not None and profile.kind is ProfileKind.KIOSK:
                errors.add((*path, "ntcip"), "a kiosk is a web page, not an NTCIP sign")
                ntcip = None
        panels[item.id] = Panel(item.id, item.name, item.place, item.lat, item.lon, item.zone, item.profile,
                                tuple(item.tags), item.language or parts.city.languages[0], item.default_template,
                                stream, ntcip)
    return panels


def _ntcip_target(item: NtcipSchema) -> NtcipTarget:
    host, _, port = item.address.rpartition(":") if ":" in item.address else (item.address, "", "161")
    return NtcipTarget(host, int(port), item.version, item.community_env, item.user, item.auth_key_env,
                       item.priv_key_env, item.auth_protocol, item.priv_protocol, item.slot, item.duration)


def _stop_names(path: Path, field: tuple[str | int, ...], errors: Errors) -> dict[str, str]:
    """``stop_id`` → ``stop_name`` from a static GTFS ``stops.txt`` (UTF-8 CSV, a BOM allowed)."""
    try:
        if path.stat().st_size > MAX_STOPS_FILE_BYTES:
            errors.add(field, f"{path} is over {MAX_STOPS_FILE_BYTES // 1_000_000} MB")
            return {}
        with path.open(encoding="utf-8-sig", newline="") as stream:
            rows = csv.DictReader(stream)
            if not {"stop_id", "stop_name"} <= set(rows.fieldnames or ()):
                errors.add(field, f"{path} has no stop_id and stop_name columns (a GTFS stops.txt has both)")
                return {}
            return {row["stop_id"]: row["stop_name"] for row in rows if row.get("stop_id") and row.get("stop_name")}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        errors.add(field, f"cannot read {path}: {exc}")
        return {}


def _feeds(parts: Parts, data: Any, errors: Errors, base: Path) -> dict[str, FeedConfig]:
    _unique([("feeds", i, f) for i, f in parts.feeds], errors)
    feeds: dict[str, FeedConfig] = {}
    for index, item in parts.feeds:
        raw = data["feeds"][index]
        options = {k: v for k, v in raw.items() if k not in {"id", "format", "max_age"}}
        if item.senders is not None:
            if item.format != "cap":
                errors.add(("feeds", index, "senders"), "only a cap feed has senders")
            options["senders"] = list(item.senders)
        if isinstance(options.get("stops_file"), str):  # the static GTFS names the stops real-time feeds number
            named = _stop_names(base / options.pop("stops_file"), ("feeds", index, "stops_file"), errors)
            options["stop_names"] = {**named, **(options.get("stop_names") or {})}
        if item.secret_env:  # the secret itself comes from the environment when the configuration is loaded
            options["secret"] = os.environ.get(item.secret_env, "")
        limits = item.dead_letters
        options["dead_letters"] = DeadLetterLimits(limits.max_count, limits.max_bytes, limits.keep).to_json()
        feed = FeedConfig(item.id, item.format, item.max_age, options, tuple(parts.city.languages))
        if (problem := credentials_problem(feed)) is not None:
            errors.add(("feeds", index, "auth"), problem, errors.line(("feeds", index, "id")))
        feeds[item.id] = feed
    return feeds


def _targets(item: RuleSchema | ScheduledSchema, path: tuple[str | int, ...], zones: dict[str, Zone],
             panels: dict[str, Panel], errors: Errors) -> Targets:
    given = item.then.targets
    targets = Targets(given.everywhere, tuple(given.panels), tuple(given.zones), tuple(given.tags),
                      tuple(given.topics))
    where = (*path, "then", "targets")
    for zone in targets.zones:
        if zone not in zones:
            errors.add((*where, "zones"), _unknown("zone", zone, zones))
    for panel in targets.panels:
        if panel not in panels:
            errors.add((*where, "panels"), _unknown("panel", panel, panels))
    if not (targets.everywhere or targets.panels or targets.zones or targets.tags or targets.topics):
        errors.add(where, "a rule must target something (everywhere, panels, zones, tags or topics)")
    return targets


def _rules(parts: Parts, zones: dict[str, Zone], panels: dict[str, Panel], templates: TemplateLibrary,
           feeds: dict[str, FeedConfig], errors: Errors) -> tuple[RuleConfig, ...]:
    sections: list[tuple[str, int, RuleSchema | ScheduledSchema]] = [
        *(("rules", i, r) for i, r in parts.rules), *(("scheduled", i, s) for i, s in parts.scheduled)]
    _unique(list(sections), errors)  # one name space: scheduled content is a rule in the schedule lane
    rules: list[RuleConfig] = []
    left_open = open_families(feeds.values())
    for section, index, item in sections:
        path = (section, index)
        schedule: Schedule | None = None
        if item.schedule is not None:
            try:
                schedule = parse_schedule(item.schedule, parts.city.timezone)
            except ValueError as exc:
                errors.add((*path, "schedule"), str(exc))
        then = item.then
        if then.template not in templates:
            errors.add((*path, "then", "template"), _unknown("template", then.template, templates.ids()))
        targets = _targets(item, path, zones, panels, errors)
        if "push" in then.channels and not targets.topics:
            errors.add((*path, "then", "channels"), "push needs targets.topics to push to")
        when = item.when if isinstance(item, RuleSchema) else "true"
        rule = RuleConfig(item.id, when, then.template, dict(then.params), targets, tuple(then.channels),
                          then.priority, then.ttl, errors.line(path), item.description, item.clear_when,
                          item.for_, schedule, item.cooldown, _policy(then.push),
                          Lane.RULE if section == "rules" else Lane.SCHEDULE)
        for field, problem in expression_problems(rule, left_open):
            errors.add((*path, *field.split(".")), problem)
        rules.append(rule)
    return tuple(rules)


def _templates_dir() -> Path:
    return Path(str(resources.files("content").joinpath("templates")))


def assemble(file: str, base: Path, data: Any, parts: Parts, errors: Errors) -> Config:
    city = parts.city
    profiles = _profiles(parts, errors)
    zones = _zones(parts, errors)
    panels = _panels(parts, profiles, zones, errors)
    feeds = _feeds(parts, data, errors, base)
    directories = [_templates_dir()] + ([base / city.templates_dir] if city.templates_dir else [])
    templates = load_templates(directories, errors.found, TextSettings(city.timezone, tuple(city.languages)))
    rules = _rules(parts, zones, panels, templates, feeds, errors)
    for index, item in parts.panels:
        if item.default_template not in templates:
            errors.add(("panels", index, "default_template"),
                       _unknown("template", item.default_template, templates.ids()))
    topics = tuple(TopicConfig(t.pattern, t.title, t.public, _policy(t.push)) for _, t in parts.topics)
    return Config(file, city.city, city.timezone, tuple(city.languages), profiles, zones, panels, feeds, topics,
                  rules, templates, _policy(city.push) or PushPolicy(), city.cap_sender,
                  tuple(city.trusted_proxies))
