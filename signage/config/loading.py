"""Reading a configuration file: YAML that remembers its lines, validated section by section against the schema
(``signage.city_schema``), so that one wrong panel does not hide the errors of the others; then the whole city is
checked and assembled (``assemble``). Every error names its file, line and field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from signage.city_schema import (
    CitySchema,
    FeedSchema,
    PanelSchema,
    ProfileSchema,
    RuleSchema,
    ScheduledSchema,
    ThenSchema,
    TopicSchema,
    ZoneSchema,
)
from signage.config.assemble import Parts, assemble
from signage.config.city import Config, ConfigError, ConfigInvalid
from signage.config.located import Errors
from signage.config.templates_loading import yaml_line, yaml_problem
from signage.yamlsource import LocatedDict, load_located

__all__ = ["load_config"]

MAX_CONFIG_BYTES = 4 * 1024 * 1024
LISTS: dict[str, type[BaseModel]] = {"zones": ZoneSchema, "panels": PanelSchema, "feeds": FeedSchema,
                                     "topics": TopicSchema, "rules": RuleSchema, "scheduled": ScheduledSchema}
M = TypeVar("M", bound=BaseModel)
STAND_INS = {"timezone": "UTC", "languages": ["en"]}  # for required fields in error, so the other checks go on


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
        text = raw_bytes.decode("utf-8")
        data = load_located(text)
    except UnicodeDecodeError as exc:
        raise ConfigInvalid([ConfigError(file, 1, "file", "is not UTF-8 text")]) from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigInvalid([ConfigError(file, yaml_line(exc), "yaml", yaml_problem(exc, text))]) from exc
    if not isinstance(data, LocatedDict):
        raise ConfigInvalid([ConfigError(file, 1, "file", "must be a mapping at the top level")])
    errors = Errors(file, data)
    config = assemble(file, path.parent, data, _parts(data, errors), errors)
    if errors.found:
        raise ConfigInvalid(sorted(errors.found, key=lambda e: (e.line, e.field)))
    return config


def _parts(data: LocatedDict, errors: Errors) -> Parts:
    """Each section validated on its own, each item of a list on its own: what is valid is kept for the
    city-wide checks, what is not is reported."""
    scalars = {k: v for k, v in data.items() if k not in LISTS and k != "profiles"}
    city = errors.validated(CitySchema, scalars, ())
    if city is None:  # keep the fields that are valid, stand-ins for the others (the file is refused anyway)
        failed = {e.field.split(".")[0].split("[")[0] for e in errors.found}
        city = CitySchema.model_validate({**STAND_INS, **{k: v for k, v in scalars.items() if k not in failed and k in
                                                          CitySchema.model_fields}})
    profiles: dict[str, ProfileSchema] = {}
    section = data.get("profiles", {})
    if not isinstance(section, dict):
        errors.add(("profiles",), "must be a mapping")
    else:
        for name, item in section.items():
            if (profile := errors.validated(ProfileSchema, item, ("profiles", name))) is not None:
                profiles[name] = profile
    lists: dict[str, list[tuple[int, Any]]] = {}
    for name, model in LISTS.items():
        items = data.get(name, [])
        lists[name] = []
        if not isinstance(items, list):
            errors.add((name,), "must be a list")
            continue
        for index, item in enumerate(items):
            valid = errors.validated(model, item, (name, index))
            if valid is None:
                valid = _salvaged(name, item)
            if valid is not None:
                lists[name].append((index, valid))
    return Parts(city, profiles, lists["zones"], lists["panels"], lists["feeds"], lists["topics"], lists["rules"],
                 lists["scheduled"])


def _salvaged(section: str, item: Any) -> BaseModel | None:
    """What the city-wide checks can still use of an item that is not valid (its errors are reported already):
    a rule's ``then`` (its template and targets), a panel's zone and profile. So one wrong field does not hide
    the others' errors. The configuration is refused anyway."""
    if not isinstance(item, dict):
        return None
    if section in ("rules", "scheduled"):
        try:
            then = ThenSchema.model_validate(item.get("then"))
        except ValidationError:
            return None
        identifier = item.get("id") if isinstance(item.get("id"), str) else "?"
        return RuleSchema.model_construct(id=identifier, when="true", then=then, schedule=None,
                                          description="", clear_when=None, for_=timedelta(0), cooldown=timedelta(0))
    if section == "panels" and all(isinstance(item.get(k), str) for k in ("id", "zone", "profile")):
        return PanelSchema.model_construct(id=item["id"], name="?", place="", lat=0.0, lon=0.0, zone=item["zone"],
                                           profile=item["profile"], tags=[], language=None,
                                           default_template=str(item.get("default_template", "default")),
                                           stream=None, ntcip=None)
    return None
