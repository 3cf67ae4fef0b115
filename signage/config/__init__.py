"""A city's configuration: its schema (``signage.city_schema``), reading and checking a file (``loading``), the
whole city's checks and assembly (``assemble``), its templates (``templates_loading``), and the ``Config`` the
engine runs on (``city``). Every error names its file, line and field."""

from signage.city_schema import FEED_FORMATS
from signage.config.city import Config, ConfigError, ConfigInvalid, demo_config_path
from signage.config.loading import load_config

__all__ = ["FEED_FORMATS", "Config", "ConfigError", "ConfigInvalid", "demo_config_path", "load_config"]
