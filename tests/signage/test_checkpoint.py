"""A checkpoint keeps the engine's state across a restart: a pipeline restored from one behaves as the one that
was running would have, and says nothing it had already said."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from signage.config import Config
from signage.pipeline import Pipeline, restored, snapshot
from tests.signage.test_pipeline import T0, central_parking


def restarted(pipeline: Pipeline, at: timedelta, *, republish: bool = False) -> tuple[Pipeline, list[str]]:
    """A pipeline restored from ``pipeline``'s checkpoint (through JSON, as the Store keeps it), and the topics
    its start published."""
    saved = json.loads(json.dumps(snapshot(pipeline, T0 + at)))
    again = pipeline.fresh(pipeline.config)
    outcome = restored(again, saved, T0 + at, republish=republish)
    return again, [p.topic for p in outcome.publications]


def test_a_restored_pipeline_publishes_nothing_that_did_not_change(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    central_parking(pipeline, T0)
    again, published = restarted(pipeline, timedelta(seconds=1))
    assert published == []
    assert again.contents == pipeline.contents
    assert again.explain("darcy", T0) == pipeline.explain("darcy", T0)


def test_a_rule_waiting_for_its_for_fires_when_it_would_have(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    central_parking(pipeline, T0, darcy=10)  # darcy-full holds: it fires after two minutes
    again, _ = restarted(pipeline, timedelta(minutes=1))
    assert "rule:darcy-full" not in again.messages
    again.advance(T0 + timedelta(minutes=2))
    assert "rule:darcy-full" in again.messages  # one minute more, not two: its clock was kept


def test_the_bus_having_lost_everything_every_topic_comes_out_again(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    central_parking(pipeline, T0)
    _, published = restarted(pipeline, timedelta(seconds=1), republish=True)
    assert {"parking/darcy", "parking/dauphine", "panel/darcy", "panel/gare", "_index"} <= set(published)


def test_a_document_that_is_not_a_checkpoint_is_refused(demo_config: Config) -> None:
    with pytest.raises(ValueError, match="checkpoint"):
        restored(Pipeline(demo_config), {"v": 1, "values": "nonsense"}, T0)
    with pytest.raises(ValueError, match="version 1"):
        restored(Pipeline(demo_config), {"v": 99}, T0)
