"""The pipeline: everything after the feeds, pure. ``Pipeline`` (``flow.py``) orchestrates the parts, one job each:
``rule_runtime`` (when a rule fires), ``alert_book`` (the alerts in force), ``push_gate`` (what is pushed),
``panel_board`` (what each panel shows), ``topic_publisher`` (the public topics), ``explainer`` (why), ``timers``
and ``outcome`` (what a step produces); ``reload`` carries what is known over to an edited configuration,
``checkpoint`` across a restart."""

from signage.pipeline.checkpoint import restored, snapshot
from signage.pipeline.flow import Pipeline
from signage.pipeline.outcome import Outcome, Publication, Record
from signage.pipeline.reload import reloaded

__all__ = ["Outcome", "Pipeline", "Publication", "Record", "reloaded", "restored", "snapshot"]
