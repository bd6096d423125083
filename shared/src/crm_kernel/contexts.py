"""The platform's parts, named once: the bounded contexts that publish events, and the
services (those and the projections). Topics, scopes, ports and the catalogue follow these."""

from __future__ import annotations

CONTEXTS = ("contacts", "sales", "campaigns", "support")
SERVICES = (*CONTEXTS, "projections")
