"""What the engine reports on its internal topics is read fresh by every reader: a car park that appears later
is in open data and its CSV, and feed health moves, in open data and in the control room.

Guard proven: ``Hub.latest`` reads internal topics (``_index``, ``_feeds``) from the bus every time; before, the
first read was kept for the life of the process.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from signage.demo.payloads import CarPark, parking_notification
from signage.web.keys import STAFF
from tests.helpers import eventually, feed_auth, post_parking
from tests.test_staff_console import PASSWORD, session_cookie, sign_in


async def test_a_new_car_park_and_feed_health_show_up_after_the_first_read(make_client: Any) -> None:
    attacked = await make_client(open_burst=100_000)  # the test polls open data more than a citizen may
    await post_parking(attacked, "darcy", 40)

    async def darcy_listed() -> bool:
        items = (await (await attacked.get("/api/v1/open/parking")).json())["items"]
        return any(item["id"] == "darcy" for item in items)

    await eventually(darcy_listed)  # the first read of the index and of feed health, now held
    deliveries = {f["feed"]: f["deliveries"] for f in (await (await attacked.get("/api/v1/open/feeds")).json())[
        "feeds"]}["ngsi"]
    await attacked.app[STAFF].add("veilleur", "viewer", PASSWORD)
    session, _ = session_cookie(await sign_in(attacked, "veilleur"))

    async def ngsi_in_the_control_room() -> str:
        page: str = await (await attacked.get("/admin", headers={"Cookie": f"signage_session={session}"})).text()
        return page.split('<th scope="row">ngsi</th>', 1)[1].split("</tr>", 1)[0]

    before = await ngsi_in_the_control_room()

    wilson = CarPark("wilson", "Parking Wilson", 420, 47.3165, 5.0450)
    response = await attacked.post("/feeds/ngsi", data=parking_notification(wilson, 333, datetime.now(UTC)),
                                   headers=await feed_auth(attacked, "ngsi"))
    assert response.status == 202

    async def wilson_everywhere() -> bool:
        items = (await (await attacked.get("/api/v1/open/parking")).json())["items"]
        csv = await (await attacked.get("/api/v1/open/parking.csv")).text()
        return any(i["id"] == "wilson" and i["free"] == 333 for i in items) and "Parking Wilson" in csv

    await eventually(wilson_everywhere)

    async def health_moved() -> bool:
        feeds = (await (await attacked.get("/api/v1/open/feeds")).json())["feeds"]
        moved: bool = {f["feed"]: f["deliveries"] for f in feeds}["ngsi"] > deliveries
        return moved

    await eventually(health_moved)

    async def room_moved() -> bool:  # the last success it shows is the new delivery's
        return await ngsi_in_the_control_room() != before

    await eventually(room_moved)
