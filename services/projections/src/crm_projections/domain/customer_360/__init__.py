"""The customer_360 read model: a pure fold of every context's events about one customer.

One module per section (profile with contact points and consent, interactions, sales,
marketing, support), each with its blank part, its folds and its share of a merge; the
document loop in `document`, merges, tombstones and "as of" in `merges`, what readers see in
`view`. Adding a fold to a section touches that section's module only.
"""

from crm_projections.domain.customer_360.document import (
    FOLDS,
    SCHEMA_VERSION,
    Document,
    about_a_customer,
    empty,
    fold,
    scrub_personal_data,
)
from crm_projections.domain.customer_360.merges import absorb, as_of, is_pending_merge, tombstone
from crm_projections.domain.customer_360.profile import (
    CONSENT_CHANNELS,
    empty_profile,
    may_contact,
    registration,
)
from crm_projections.domain.customer_360.search import digits, search_fields, terms
from crm_projections.domain.customer_360.view import public_view

__all__ = [
    "CONSENT_CHANNELS",
    "FOLDS",
    "SCHEMA_VERSION",
    "Document",
    "about_a_customer",
    "absorb",
    "as_of",
    "digits",
    "empty",
    "empty_profile",
    "fold",
    "is_pending_merge",
    "may_contact",
    "public_view",
    "registration",
    "scrub_personal_data",
    "search_fields",
    "terms",
    "tombstone",
]
