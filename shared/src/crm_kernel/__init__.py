"""Shared kernel of the CRM platform."""
