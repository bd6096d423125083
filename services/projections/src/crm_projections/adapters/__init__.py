"""Adapters of the projections service: the MongoDB read models and Kafka partitions. They
implement the application's ports structurally and never import the application."""
