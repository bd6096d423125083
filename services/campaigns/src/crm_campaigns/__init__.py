"""The campaigns service of the CRM: campaigns, audiences, deliveries, responses, attribution."""
