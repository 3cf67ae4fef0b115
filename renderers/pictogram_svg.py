"""A sign's pictogram as SVG, one square per LED, for screens that are not signs (kiosks, the console): the same
drawing as on the street, sharp at any size."""

from __future__ import annotations

from renderers.pictograms import Pictogram

__all__ = ["pictogram_svg"]


def pictogram_svg(pictogram: Pictogram, title: str = "") -> str:
    """The pictogram in its colours; ``title`` (escaped here) names it for screen readers."""
    squares = "".join(
        f'<rect x="{x}" y="{y}" width="1" height="1" fill="#{r:02x}{g:02x}{b:02x}"/>'
        for y, row in enumerate(pictogram.cells) for x, cell in enumerate(row)
        if cell is not None for (r, g, b), _ in (cell,))
    name = (title or pictogram.name).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {pictogram.width} {pictogram.height}" '
            f'shape-rendering="crispEdges" role="img"><title>{name}</title>{squares}</svg>')
