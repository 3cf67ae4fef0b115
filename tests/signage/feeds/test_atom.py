"""A MeteoAlarm Atom feed: the poller fetches each entry's CAP document, never the area's web page."""

from __future__ import annotations

from pathlib import Path

from signage.feeds.atom import cap_entries
from tests.conftest import SAMPLES

QUOTED = Path(__file__).resolve().parents[2] / "fixtures" / "quoted"
FRANCE = "https://feeds.meteoalarm.org/api/v1/warnings/feeds-france/"


def test_a_meteoalarm_entry_points_to_its_cap_document_not_to_the_area_page() -> None:
    entries = cap_entries((QUOTED / "meteoalarm-legacy-atom-italy-entry.xml").read_bytes())
    assert [e.cap_url for e in entries] == [
        "https://feeds.meteoalarm.org/api/v1/warnings/feeds-italy/263cfb7c-4764-4316-b57c-b625b2ed625c"]
    assert entries[0].ident.endswith("2026-01-23T11:53:40Z")  # a new ident when the entry is updated


def test_an_entry_without_a_cap_link_falls_back_to_its_alternate_link() -> None:
    body = (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>a</id><updated>1</updated>'
            b'<link rel="related" href="https://example.org/country"/>'
            b'<link rel="alternate" href="https://alerts.example.org/cap/a.xml"/></entry></feed>')
    assert [e.cap_url for e in cap_entries(body)] == ["https://alerts.example.org/cap/a.xml"]


def test_meteoalarm_france_names_each_cap_document_once_however_many_departements_it_covers() -> None:
    """MeteoAlarm's French feed has an entry per département a warning covers (here two documents, six
    départements each): the poller is to fetch each document once, not once per département."""
    entries = cap_entries((SAMPLES / "cap" / "meteoalarm-legacy-atom-france-2022-12-08.xml").read_bytes())
    assert [e.cap_url for e in entries] == [FRANCE + "04d497d4-d114-4d6b-93ba-13fa7ed577fe",
                                            FRANCE + "2f32f9f9-06df-48aa-b0a0-10493ea07c51"]
    assert entries[0].ident.endswith("2022-12-07T15:00:58Z") and entries[1].ident.endswith("2022-12-07T05:01:26Z")
