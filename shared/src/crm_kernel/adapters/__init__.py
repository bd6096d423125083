"""Adapters of the kernel's ports: MongoDB and Kafka (in-memory fakes: tests/fakes.py)."""

from crm_kernel.adapters.mongo import mongo_client

__all__ = ["mongo_client"]
