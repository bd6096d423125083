"""The contacts service of the CRM: customers, contact points, profile, consent, interactions."""
