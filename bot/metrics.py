"""The numbers an operator watches (served as Prometheus text on /metrics): one registry per running bot, so
two bots in one process (the tests) never share counters."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
# from a second (a timer firing on time) to a day (a bot that was offline)
LAG_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400)
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def kind_label(kind: str) -> str:
    """A post kind as a label of few values: DM kinds carry a member, which must not become a time series."""
    return "dm" if kind.startswith("dm:") else kind


class Metrics:
    """Counters, gauges and histograms of one bot; `render()` is the /metrics body."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.posts = Counter(
            "meetup_bot_posts", "Scheduled posts by kind and outcome", ["kind", "outcome"], registry=r
        )
        self.late_posts = Counter(
            "meetup_bot_posts_late", "Posts sent after their time (marked late)", ["kind"], registry=r
        )
        self.scheduler_lag = Histogram(
            "meetup_bot_scheduler_lag_seconds",
            "From a post's due time to when Discord accepted it",
            ["kind"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.reactions = Counter(
            "meetup_bot_rsvp_reactions", "RSVP reactions handled", ["action", "result"], registry=r
        )
        self.reaction_seconds = Histogram(
            "meetup_bot_rsvp_reaction_handling_seconds",
            "From a reaction's gateway event to its RSVP being stored",
            buckets=HANDLING_BUCKETS,
            registry=r,
        )
        self.reconcile_changes = Counter(
            "meetup_bot_rsvp_reconciliation_changes",
            "RSVPs reconciliation added, removed or changed (reactions made while the bot was away)",
            ["change"],
            registry=r,
        )
        self.gateway_reconnects = Counter(
            "meetup_bot_gateway_reconnects", "Gateway sessions resumed or started again", ["how"], registry=r
        )
        self.gateway_latency = Gauge(
            "meetup_bot_gateway_latency_seconds",
            "Last heartbeat round trip (NaN before the first)",
            registry=r,
        )
        self.last_sync = Gauge(
            "meetup_bot_repo_last_sync_timestamp_seconds",
            "When the events repository was last synced successfully (Unix time)",
            registry=r,
        )
        self.sync_failures = Counter(
            "meetup_bot_repo_sync_failures", "Syncs of the events repository that could not fetch", registry=r
        )

    def watch_latency(self, latency: Callable[[], float]) -> None:
        """Read the gateway latency at each scrape rather than copying it on every heartbeat."""
        self.gateway_latency.set_function(latency)

    def render(self) -> bytes:
        return generate_latest(self.registry)
