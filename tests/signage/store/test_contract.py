"""One contract for every store backend: SQLite (embedded) and Redis (a real server)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from signage.store import Store, open_store


async def test_documents_round_trip_by_kind_and_id(store: Store) -> None:
    await store.put("messages", "rule:b", {"id": "rule:b", "text": "Darcy complet"})
    await store.put("messages", "rule:a", {"id": "rule:a", "text": "é ü ☂"})
    await store.put("subscriptions", "s1", {"id": "s1"})
    assert await store.get("messages", "rule:a") == {"id": "rule:a", "text": "é ü ☂"}
    assert [d["id"] for d in await store.documents("messages")] == ["rule:a", "rule:b"]
    assert await store.count("messages") == 2
    await store.put("messages", "rule:a", {"id": "rule:a", "text": "changed"})
    assert (await store.get("messages", "rule:a")) == {"id": "rule:a", "text": "changed"}
    assert await store.delete("messages", "rule:a") is True
    assert await store.delete("messages", "rule:a") is False
    assert await store.get("messages", "rule:a") is None
    assert await store.count("subscriptions") == 1


async def test_many_documents_come_back_in_one_call(store: Store) -> None:
    for n in range(1200):  # more than one SQLite statement can bind
        await store.put("subscriptions", f"s{n:04d}", {"id": f"s{n:04d}", "n": n})
    wanted = [f"s{n:04d}" for n in range(0, 1200, 2)] + ["missing"]
    found = await store.get_many("subscriptions", wanted)
    assert sorted(found) == sorted(wanted[:-1]) and found["s0042"] == {"id": "s0042", "n": 42}
    assert await store.get_many("subscriptions", []) == {}


async def test_audit_log_is_append_only_newest_first_and_searchable(store: Store) -> None:
    first = await store.append_audit("alice", "template.publish", "parking-guidance", {"version": 3})
    await store.append_audit("bob", "broadcast.stop", "msg-17", {"reason": "fin de l'événement"})
    await store.append_audit("alice", "account.create", "carol", {"role": "editor"})
    entries = await store.audit()
    assert [e["action"] for e in entries] == ["account.create", "broadcast.stop", "template.publish"]
    assert entries[-1]["seq"] == first["seq"] and entries[-1]["detail"] == {"version": 3}
    assert all(e["at"].endswith("Z") for e in entries)
    assert [e["target"] for e in await store.audit(query="ALICE")] == ["carol", "parking-guidance"]
    assert [e["actor"] for e in await store.audit(query="événement")] == ["bob"]
    assert len(await store.audit(limit=1)) == 1


async def test_ping_answers(store: Store) -> None:
    assert await store.ping() is True


async def test_sqlite_keeps_everything_written_before_close(tmp_path: Path) -> None:
    path = str(tmp_path / "durable.sqlite3")
    first = open_store(None, path)
    await first.put("messages", "m", {"id": "m"})
    await first.append_audit("alice", "x", "y", {})
    await first.close()
    second = open_store(None, path)
    assert await second.get("messages", "m") == {"id": "m"}
    assert len(await second.audit()) == 1
    await second.close()


async def test_a_claim_is_granted_once_within_its_time_even_to_a_second_client(
        store: Store, backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    import asyncio

    other = (open_store(request.getfixturevalue("redis_url"), "", request.getfixturevalue("redis_prefix"))
             if backend == "redis" else open_store(None, str(tmp_path / "store.sqlite3")))
    try:
        results = await asyncio.gather(*(s.claim("webhook", "sig-1", 0.5) for s in [store, other] * 5))
        assert sorted(results) == [False] * 9 + [True]
        assert await store.claim("webhook", "sig-2", 0.5) is True
        assert await store.claim("other-kind", "sig-1", 0.5) is True  # kinds do not share claims
        await asyncio.sleep(0.6)
        assert await other.claim("webhook", "sig-1", 0.5) is True  # the window has passed
    finally:
        await other.close()


async def test_which_ids_are_claimed_is_read_in_one_call(store: Store) -> None:
    """What a push batch taken over reads: the phones already served (claimed), not those still to serve."""
    for served in ("batch-1:a", "batch-1:c"):
        assert await store.claim("push_served", served, 0.5)
    await store.claim("other", "batch-1:b", 0.5)
    ids = [f"batch-1:{p}" for p in "abcd"]
    assert await store.claimed("push_served", ids) == {"batch-1:a", "batch-1:c"}
    assert await store.claimed("push_served", []) == set()
    assert await store.claimed("push_served", [f"many:{n}" for n in range(1200)]) == set()  # past SQLite's limit
    await asyncio.sleep(0.6)  # the time under test
    assert await store.claimed("push_served", ids) == set()  # claims end with their time


async def test_documents_by_id_prefix_come_from_the_index(store: Store) -> None:
    for template in ("parking", "parking-guidance", "air"):
        for number in (2, 1, 10):
            key = f"{template}:{number:06d}"
            await store.put("template_versions", key, {"key": key})
    await store.put("template_versions", "parkinG:000001", {"key": "parkinG:000001"})
    assert [d["key"] for d in await store.documents("template_versions", "parking:")] == [
        "parking:000001", "parking:000002", "parking:000010"]
    assert len(await store.documents("template_versions", "parking")) == 6
    assert await store.documents("template_versions", "bus:") == []
    await store.delete("template_versions", "parking:000002")
    assert [d["key"] for d in await store.documents("template_versions", "parking:")] == [
        "parking:000001", "parking:000010"]
    assert len(await store.documents("template_versions")) == 9


async def test_two_writers_at_once_never_get_the_same_number(store: Store) -> None:
    numbers = await asyncio.gather(*(store.next_number("versions:parking", at_least=3) for _ in range(50)))
    assert sorted(numbers) == list(range(4, 54))
    assert await store.next_number("versions:parking") == 54
    assert await store.next_number("versions:parking", at_least=100) == 101  # numbers written before the counter
    assert await store.next_number("versions:air") == 1


async def test_compare_and_set_writes_only_over_what_the_writer_read(store: Store) -> None:
    assert await store.compare_and_set("template_versions", "t:1", None, {"state": "draft"}) is True
    assert await store.compare_and_set("template_versions", "t:1", None, {"state": "other"}) is False
    draft = await store.get("template_versions", "t:1")
    results = await asyncio.gather(
        store.compare_and_set("template_versions", "t:1", draft, {"state": "published"}),
        store.compare_and_set("template_versions", "t:1", draft, {"state": "rejected"}))
    assert sorted(results) == [False, True]  # two approvers at once: one wins, the other is told
    assert (await store.get("template_versions", "t:1"))["state"] in ("published", "rejected")  # type: ignore[index]
    assert [d["state"] for d in await store.documents("template_versions", "t:")] != ["draft"]


async def test_many_claims_are_recorded_in_one_call(store: Store) -> None:
    """What a push worker records as it serves a batch: many phones at once, each claimed once."""
    assert await store.claim("push_served", "b:earlier", 60)
    await store.claim_many("push_served", ["b:earlier", *[f"b:{n}" for n in range(700)]], 60)
    assert await store.claimed("push_served", ["b:earlier", "b:0", "b:699", "b:700"]) == {"b:earlier", "b:0", "b:699"}
    assert not await store.claim("push_served", "b:5", 60)  # already claimed by the batch
    await store.claim_many("push_served", [], 60)
