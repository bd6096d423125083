"""The published language of the support context: the events it puts on crm.support.events.

Its service publishes them; projections (and any context that consumes them) read them.
Importing the package registers its event types with the kernel's registry.
"""

from crm_support_contracts import events

__all__ = ["events"]
