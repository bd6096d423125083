"""The sales service of the CRM: leads, opportunities, quotes, orders, payments."""
