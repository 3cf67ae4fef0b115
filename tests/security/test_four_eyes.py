"""No text reaches the street without a second approver having read that very text: every path to published
(approving, rolling back) tried by an approver alone.

Guards proven: ``move`` refuses approving one's own version, and ``republished`` refuses a rollback to a version
that was never published after another approver read it (a draft, or one still in review).
"""

from __future__ import annotations

from typing import Any

from signage.web.keys import STAFF
from tests.helpers import eventually, post_central_parking
from tests.test_staff_console import PASSWORD

BASE = "/api/v1/admin/templates/parking-guidance"
LINES = ["{{ a_name }}={{ a_free }}", "{{ b_name }}={{ b_free }}", "{{ c_name }}={{ c_free }}"]


async def approver(client: Any, name: str) -> dict[str, str]:
    await client.app[STAFF].add(name, "approver", PASSWORD)
    return {"Authorization": f"Bearer {await client.app[STAFF].issue_token(name)}"}


async def street_template(client: Any) -> list[Any]:
    versions = (await (await client.get(f"{BASE}/versions", headers=await approver(client, "audit"))).json())
    return [(v["number"], v["state"]) for v in versions["versions"]]


async def test_an_approver_alone_cannot_publish_an_unreviewed_text(attacked: Any) -> None:
    mallory = await approver(attacked, "mallory")
    draft = await attacked.post(f"{BASE}/versions", headers=mallory,
                                json={"variants": {"fr": {"title": "Parkings", "lines": LINES}}})
    number = (await draft.json())["number"]
    own = await attacked.post(f"{BASE}/versions/{number}/approve", headers=mallory)
    assert own.status == 409  # a draft is not even in review
    from_draft = await attacked.post(f"{BASE}/rollback", headers=mallory, json={"version": number})
    assert from_draft.status == 409 and "never published" in (await from_draft.json())["error"]["message"]
    assert (await attacked.post(f"{BASE}/versions/{number}/submit", headers=mallory)).status == 200
    approved_alone = await attacked.post(f"{BASE}/versions/{number}/approve", headers=mallory)
    assert approved_alone.status == 403
    in_review = await attacked.post(f"{BASE}/rollback", headers=mallory, json={"version": number})
    assert in_review.status == 409  # the hole: a rollback to a version still in review published it
    await post_central_parking(attacked, darcy=31)  # rendered again after every attempt: still the shipped text

    async def darcy_says_31() -> str | None:
        multi = await (await attacked.get("/api/v1/panels/darcy/content?format=multi")).text()
        return multi if "31" in multi else None

    assert "Darcy=" not in await eventually(darcy_says_31)
    assert [state for _, state in await street_template(attacked)] == ["review"]


async def test_a_rollback_brings_back_only_what_another_approver_published(attacked: Any) -> None:
    alice, bob = await approver(attacked, "alice"), await approver(attacked, "bob")
    first = await attacked.post(f"{BASE}/versions", headers=alice,
                                json={"variants": {"fr": {"title": "Parkings", "lines": LINES}}})
    await attacked.post(f"{BASE}/versions/1/submit", headers=alice)
    assert (await attacked.post(f"{BASE}/versions/1/approve", headers=bob)).status == 200
    assert (await first.json())["number"] == 1
    second = await attacked.post(f"{BASE}/versions", headers=alice,
                                 json={"variants": {"fr": {"title": "P", "lines": ["{{ a_name }}"]}}})
    await attacked.post(f"{BASE}/versions/{(await second.json())['number']}/submit", headers=alice)
    await attacked.post(f"{BASE}/versions/2/approve", headers=bob)
    back = await attacked.post(f"{BASE}/rollback", headers=alice, json={"version": 1})  # its author, later
    assert back.status == 201
    restored = await back.json()
    assert restored["state"] == "published" and restored["reviewed_by"] == "bob"
