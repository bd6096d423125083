"""Adapters of the projections service: the MongoDB read-model store."""
