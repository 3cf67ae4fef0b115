"""Prometheus metrics, one registry per application (no process globals). Nothing personal is ever a label."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._panel_children: dict[tuple[str, str], Any] = {}
        self.feed_deliveries = Counter(
            "signage_feed_deliveries",
            "Feed deliveries received, by feed and result (accepted, rejected, unauthenticated)",
            ["feed", "result"], registry=self.registry)
        self.dead_letters_dropped = Counter(
            "signage_dead_letters_dropped", "Dead letters dropped to stay within their feed's limits, by reason "
            "(count, bytes, age)", ["feed", "reason"], registry=self.registry)
        self.observations = Counter(
            "signage_observations", "Observations taken into the live state, by feed",
            ["feed"], registry=self.registry)
        self.publications = Counter(
            "signage_bus_publications", "Updates published on the bus by this process", registry=self.registry)
        self.panel_changes = Counter(
            "signage_panel_changes", "Panel contents that changed, published by the engine", registry=self.registry)
        self.ws_connections = Gauge(
            "signage_websocket_connections", "Open WebSocket connections", registry=self.registry)
        self.ws_dropped = Counter(
            "signage_websocket_slow_clients_dropped", "Clients dropped because they could not keep up",
            registry=self.registry)
        self.panel_requests = Counter(
            "signage_panel_content_requests", "Panel content requests, by format and status",
            ["format", "status"], registry=self.registry)
        self.pipeline_seconds = Histogram(
            "signage_pipeline_seconds",
            "Time of one engine step, from the deliveries it takes together to their publications",
            registry=self.registry, buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))
        self.loop_lag = Histogram(
            "signage_loop_lag_seconds", "How late the event loop woke a 50 ms sleeper: time the loop was blocked",
            registry=self.registry, buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0))
        self.gc_pause = Histogram(
            "signage_gc_pause_seconds", "Cycle collections and how long each held the process, by generation",
            ["generation"], registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25))
        self.feed_stale_keys = Gauge(
            "signage_feed_stale_keys", "Live values of a feed older than its max age", ["feed"],
            registry=self.registry)
        self.feed_lag = Gauge(
            "signage_feed_lag_seconds", "Delay between the newest observation of a delivery and its arrival",
            ["feed"], registry=self.registry)
        self.active_messages = Gauge(
            "signage_active_messages", "Messages active in the engine", registry=self.registry)
        self.push_messages = Counter(
            "signage_push_messages", "Web Push messages by outcome (sent, gone, rejected, failed, quiet, missing)",
            ["outcome"], registry=self.registry)
        self.push_attempts = Counter(
            "signage_push_attempts", "HTTP requests made to push services, retries included", registry=self.registry)
        self.push_jobs = Counter(
            "signage_push_jobs", "Push jobs done by this worker, by kind (decision, batch)", ["kind"],
            registry=self.registry)
        self.sign_state = Gauge(
            "signage_sign_state", "NTCIP signs by state (ok, error, unreachable): 1 for the state a sign is in",
            ["panel", "state"], registry=self.registry)
        self.sign_messages = Counter(
            "signage_sign_messages", "Messages put on NTCIP signs, by result (sent, renewed, refused, failed)",
            ["result"], registry=self.registry)
        self.push_subscriptions = Gauge(
            "signage_push_subscriptions", "Push subscriptions held (a count, never who)", registry=self.registry)

    def panel_request(self, fmt: str, status: str) -> None:
        """Count a panel content request; the labelled counter is looked up once (polls are the hot path)."""
        child = self._panel_children.get((fmt, status))
        if child is None:
            child = self._panel_children[(fmt, status)] = self.panel_requests.labels(format=fmt, status=status)
        child.inc()
