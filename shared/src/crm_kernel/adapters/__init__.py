"""Adapters of the kernel's ports: MongoDB, Kafka, and in-memory fakes for unit tests."""

from crm_kernel.adapters.mongo import mongo_client

__all__ = ["mongo_client"]
