"""The kernel's ports, in one place: what its mechanisms need from the outside world.

One module per port, named like its adapters in `crm_kernel.adapters` (`mongo_<port>`,
`kafka_<port>`, and the in-memory fakes): the event store with its outbox (`eventstore`), the
per-customer key store (`keystore`), the snapshot store (`snapshots`), the event publisher
(`publisher`) and the token revocation list (`revocations`).
"""
