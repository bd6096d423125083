"""The published language: every context's event types, one module per context.

Services publish these and projections read them, so they live here rather
than inside a service (services never import each other). Importing this
package registers every event type.
"""

from crm_kernel.contracts import campaigns, contacts, sales, support

__all__ = ["campaigns", "contacts", "sales", "support"]
