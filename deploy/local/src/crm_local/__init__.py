"""The `crm` command: the platform on one machine without Docker."""
