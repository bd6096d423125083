"""The projections service of the CRM: read models (360-degree view, timeline, metrics).

It reads every context's events, so it imports every context's contracts: that registers
their event types, which the wire decoder and the privacy layer look up.
"""

import crm_campaigns_contracts  # noqa: F401
import crm_contacts_contracts  # noqa: F401
import crm_sales_contracts  # noqa: F401
import crm_support_contracts  # noqa: F401
