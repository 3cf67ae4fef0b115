"""The console's map of panels: north up, inside the box, and no panel's name written over another's."""

from __future__ import annotations

from signage.config import load_config
from signage.web.panel_map import LABEL_HEIGHT, LABEL_WIDTH, panel_points
from tests.signage.test_template_channels import DEMO


def test_panels_keep_their_places_and_their_names_stay_readable() -> None:
    panels = load_config(DEMO).panels
    points = {p.panel.id: p for p in panel_points(panels.values(), 640, 400)}
    assert set(points) == set(panels)
    assert all(0 <= p.x <= 640 and 0 <= p.y <= 400 for p in points.values())
    assert points["toison-dor"].y < points["darcy"].y  # Toison d'Or is north of the centre
    assert points["campus"].x > points["gare"].x  # the campus is east of the station
    labels = [(p.x, p.y + p.label_dy) for p in points.values()]
    for i, (x, y) in enumerate(labels):
        for j, (other_x, other_y) in enumerate(labels):
            assert i == j or abs(other_x - x) >= LABEL_WIDTH or abs(other_y - y) >= LABEL_HEIGHT
        for dot in points.values():
            assert (dot.x, dot.y + dot.label_dy) == (x, y) or not (0 <= dot.x - x < LABEL_WIDTH
                                                                    and abs(dot.y - y) < LABEL_HEIGHT)
    assert panel_points([]) == []
