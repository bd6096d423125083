"""Adapters of the contacts service."""
