"""The support service of the CRM: cases, assignment, SLA, resolution, surveys."""
