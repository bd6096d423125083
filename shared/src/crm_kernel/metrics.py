"""Prometheus metrics shared by every service (served on /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

COMMANDS = Counter("crm_commands_total", "Commands handled", ["command", "outcome"])
EVENTS_APPENDED = Counter("crm_events_appended_total", "Events appended to the event store")
EVENTS_PUBLISHED = Counter("crm_events_published_total", "Events published to Kafka")
EVENTS_PROJECTED = Counter("crm_events_projected_total", "Events folded into read models")
EVENTS_SKIPPED = Counter(
    "crm_events_skipped_total", "Redelivered events the projector had applied already"
)
DEAD_LETTERS = Counter("crm_dead_letters_total", "Messages sent to a dead-letter topic", ["topic"])
BATCH_SECONDS = Histogram("crm_projector_batch_seconds", "Time to load, fold and store a batch")
PARKED_STREAMS = Gauge("crm_relay_parked_streams", "Streams whose commit the broker refuses")
SNAPSHOTS = Counter(
    "crm_snapshots_total",
    "Snapshots of stream state: used, ignored (stale, corrupt, old code, unreadable), written",
    ["outcome"],
)
CONSUMER_RESTARTS = Counter(
    "crm_consumer_restarts_total",
    "Group consumers restarted by their watchdog after stalling with records waiting",
    ["group"],
)
