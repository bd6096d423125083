"""The projections service of the CRM: read models (360-degree view, timeline, metrics)."""
