"""The console's map: every panel at its coordinates with its name and state, and the base map only when one is
configured."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from signage.config import load_config
from signage.settings import Settings
from signage.web.panel_map import map_attributes
from signage.web.security_headers import page_policy
from tests.signage.test_template_channels import DEMO


def test_every_panel_is_placed_with_its_name_and_state() -> None:
    panels = load_config(DEMO).panels
    plain = Settings(config_path=Path(DEMO))
    attributes = map_attributes(panels.values(), plain, {"darcy": {"online": True}})
    points = {p["id"]: p for p in json.loads(attributes["panels"])}
    assert set(points) == set(panels)
    assert points["darcy"]["name"] == "Place Darcy" and points["darcy"]["online"] is True
    assert points["toison-dor"]["lat"] > points["darcy"]["lat"]  # Toison d'Or is north of the centre
    assert "online" not in points["chu"]
    assert attributes["tiles"] == ""  # no base map unless one is configured: nobody else is asked anything


def test_a_configured_tile_server_is_the_one_other_origin_pages_may_load_images_from() -> None:
    tiles = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    settings = replace(Settings(config_path=Path(DEMO)), map_tiles=tiles, map_attribution="© OpenStreetMap")
    attributes = map_attributes([], settings)
    assert (attributes["tiles"], attributes["attribution"]) == (tiles, "© OpenStreetMap")
    policy = page_policy(tiles)
    assert "img-src 'self' data: https://*.tile.openstreetmap.org;" in policy
    assert "connect-src 'self';" in policy and "tile.openstreetmap.org" not in page_policy()
