"""Staff acting on the same template at once: every draft gets a number of its own, and of two approvers
deciding one version at the same moment one is answered and the other told it changed, on both backends."""

from __future__ import annotations

import asyncio
from typing import Any

from signage.web.keys import STAFF
from tests.test_staff_console import PASSWORD

BASE = "/api/v1/admin/templates/parking-guidance"
SPEC = {"variants": {"fr": {"title": "Parkings", "lines": ["{{ a_name }} {{ a_free }}"]}}}


async def staff(client: Any, name: str) -> dict[str, str]:
    await client.app[STAFF].add(name, "approver", PASSWORD)
    return {"Authorization": f"Bearer {await client.app[STAFF].issue_token(name)}"}


async def test_drafts_at_once_get_numbers_of_their_own(client: Any) -> None:
    editors = [await staff(client, f"editor-{n}") for n in range(9)]  # each checks one draft at a time
    drafts = await asyncio.gather(*(client.post(f"{BASE}/versions", headers=h, json=SPEC) for h in editors))
    assert [d.status for d in drafts] == [201] * 9
    assert sorted([(await d.json())["number"] for d in drafts]) == list(range(1, 10))
    listed = (await (await client.get(f"{BASE}/versions", headers=editors[0])).json())["versions"]
    assert [v["number"] for v in listed] == list(range(1, 10))


async def test_two_approvers_deciding_at_once_get_one_decision(client: Any) -> None:
    alice, bob, chloe = [await staff(client, name) for name in ("alice", "bob", "chloe")]
    assert (await client.post(f"{BASE}/versions", headers=alice, json=SPEC)).status == 201
    assert (await client.post(f"{BASE}/versions/1/submit", headers=alice)).status == 200
    approve, reject = await asyncio.gather(client.post(f"{BASE}/versions/1/approve", headers=bob),
                                           client.post(f"{BASE}/versions/1/reject", headers=chloe))
    assert sorted([approve.status, reject.status]) == [200, 409]
    winner = (await (approve if approve.status == 200 else reject).json())["state"]
    listed = (await (await client.get(f"{BASE}/versions", headers=alice)).json())["versions"]
    assert [v["state"] for v in listed] == [winner]  # what the one answered was told is what is kept
