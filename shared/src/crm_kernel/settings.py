"""Service settings from the environment (prefix CRM_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm_kernel.contexts import SERVICES


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:19092"
    mongo_url: str = "mongodb://127.0.0.1:27018/"
    database: str = ""
    vault_database: str = "crm_vault"
    # The key store apart from the data (docs/security.md): a store of its own, with its own
    # users, so a copy of the data store holds ciphertext without the keys. Empty: mongo_url.
    vault_mongo_url: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=0, ge=0, le=65535)
    # The public key set (JWKS) that verifies bearer tokens: the JSON itself, or the path of a
    # file holding it (reread every auth_refresh_s, so a key rotation needs no restart).
    auth_jwks: str = Field(default="", description="public JWKS or its file; required")
    # How often the revocation list (and a key set file) is reread: a revoked token is
    # refused within this long.
    auth_refresh_s: float = Field(default=5.0, gt=0, le=300)
    # The longest token lifetimes accepted (and issued by `crm token issue`); feed tokens live
    # in calendar apps that cannot renew them, read one owner's feed only and are revocable.
    auth_max_token_days: float = Field(default=30, gt=0, le=366)
    auth_max_feed_token_days: float = Field(default=90, gt=0, le=366)
    log_level: str = "INFO"
    relay_interval_s: float = Field(default=1.0, gt=0)
    # How often the deadline scheduler raises what is due (ADR 44): a deadline is raised at
    # most this late. `CRM_DEADLINE_INTERVAL_S`.
    deadline_interval_s: float = Field(default=60.0, gt=0, le=3_600)
    # How long a command's answer waits for Kafka after its events are stored: past it, the
    # answer goes out and the publish finishes in the background (the relay's sweep takes
    # over if it fails), so a broker outage never holds up writes.
    publish_timeout_s: float = Field(default=1.0, gt=0)
    # Every MongoDB client fails a call instead of waiting forever on a store that does not
    # answer (a frozen server holds every caller otherwise, with no timeout of its own).
    mongo_server_selection_timeout_s: float = Field(default=5.0, gt=0)
    mongo_connect_timeout_s: float = Field(default=5.0, gt=0)
    mongo_socket_timeout_s: float = Field(default=15.0, gt=0)
    # A write service's request past this gets a 503 with Retry-After (a frozen store would
    # otherwise hold it for the client's socket timeout and retries, about 20 s).
    request_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # /health/ready gives each dependency this long to answer before it reports 503.
    readiness_timeout_s: float = Field(default=2.0, gt=0)
    # While a dependency is down, a repeated error is logged once per interval, with a count.
    log_repeat_interval_s: float = Field(default=10.0, gt=0)
    # Memory that spares store reads; each should cover the working set of customers. A
    # contacts command on a stream not remembered reads its commits back (about 1 KB each);
    # a reader or the projector of a 360 document not remembered reads it (about 3 KB each).
    recent_commits: int = Field(default=50_000, ge=0, le=10_000_000)
    remembered_documents: int = Field(default=50_000, ge=0, le=10_000_000)
    # A stream's state is snapshotted after a command once this many events came since its
    # last snapshot (ADR 20), so a command folds fewer events than this. 0: no snapshots.
    snapshot_interval: int = Field(default=50, ge=0, le=100_000)
    topic_partitions: int = Field(default=3, ge=1)
    consumer_group: str = Field(default="", description="Kafka consumer group of a projector")
    # A consumer has one fetch in flight per broker, for the partitions it holds no records
    # of; data landing in its other partitions waits until that fetch returns. Kafka's 500 ms
    # default is then added to the live latency of a read model; a short wait costs an idle
    # projector a few small requests per second instead.
    fetch_max_wait_ms: int = Field(default=10, ge=0, le=500)
    # How long the broker keeps a silent projector in its group before it reassigns its
    # partitions (and the projector forgets the documents it remembered, ADR 9). Longer rides
    # out pauses (a VM migration, a debugger, the benchmark's paused platforms) without a
    # rebalance; shorter hands a dead instance's partitions over sooner.
    consumer_session_timeout_ms: int = Field(default=10_000, ge=6_000, le=1_800_000)
    # A projector that holds partitions with records waiting and delivers none for this long
    # is restarted by its watchdog (ADR 24): a consumer can stall after a broker restart
    # without an error. Longer than a slow batch's bounds would be pointless: batches in hand
    # are never counted as quiet.
    consumer_stall_s: float = Field(default=30.0, ge=1.0, le=3600.0)

    def database_for(self, service: str) -> str:
        return self.database or f"crm_{service}"


# 8101 for contacts, then one each in the order of SERVICES, 8105 for projections.
DEFAULT_PORTS = {service: 8101 + n for n, service in enumerate(SERVICES)}
