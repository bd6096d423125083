"""Adapters of the kernel's ports: MongoDB, Kafka, and in-memory fakes for unit tests."""
