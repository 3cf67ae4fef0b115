"""PNG previews of what a panel shows now, for the control room and for remote checks."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from renderers.multi_render import render_multi
from signage.config import demo_config_path, load_config
from tests.helpers import eventually, post_central_parking


async def test_the_preview_shows_what_the_panel_shows_and_follows_it(client) -> None:  # type: ignore[no-untyped-def]
    await post_central_parking(client, darcy=77)
    config = load_config(demo_config_path())
    async def preview_of_the_three() -> Any:  # the three car parks shown, and the preview of that same content
        content = await (await client.get("/api/v1/panels/republique/content")).json()
        response = await client.get("/api/v1/panels/republique/preview.png")
        shown = "77" in content["multi"] and "Grangier 200" in content["multi"]
        return (content, response) if shown and response.headers["ETag"] == f'"{content["etag"]}-png"' else None

    content, response = await eventually(preview_of_the_three)
    assert response.status == 200 and response.content_type == "image/png"
    image = Image.open(io.BytesIO(await response.read())).convert("RGB")
    profile = config.profiles["full-96x32-amber"]
    pages = render_multi(content["multi"], profile).pages
    assert image.size == (96 * 4, (32 * len(pages) + 3 * (len(pages) - 1)) * 4)  # every page, 4x, LED dots
    raster = pages[0].raster
    for x in range(96):
        for y in range(32):
            lit = raster.get(x, y) != (0, 0, 0)
            assert (image.getpixel((x * 4 + 1, y * 4 + 1)) == (255, 208, 0)) == lit  # amber where an LED is on
    again = await client.get("/api/v1/panels/republique/preview.png",
                             headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304
    same = await client.get("/api/v1/panels/republique/content?format=png")
    assert same.status == 200 and await same.read() == await response.read()


async def test_a_kiosk_and_an_unknown_panel(client) -> None:  # type: ignore[no-untyped-def]
    kiosk = await client.get("/api/v1/panels/gare/preview.png")
    assert kiosk.status == 200 and (await kiosk.read()).startswith(b"\x89PNG")
    missing = await client.get("/api/v1/panels/nowhere/preview.png")
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "unknown_panel"
