"""Right to be forgotten for a lead that never converted (ADR 26): the erasure is recorded on
the lead's stream, then the key of the customer id the lead would have had is shredded, which
makes every copy of its personal data unreadable (events, timeline, snapshots)."""

from __future__ import annotations

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import GoneError
from crm_kernel.ports.keystore import KeyStore

from crm_sales.application.ports import LeadLookup
from crm_sales.domain.lead import EraseLead, Lead, LeadCommand, prospect_id_of, stream_of


class LeadErasure:
    def __init__(
        self, leads: CommandHandler[Lead, LeadCommand], keys: KeyStore, index: LeadLookup
    ) -> None:
        self._leads = leads
        self._keys = keys
        self._index = index

    async def erase(
        self, lead_id: str, requested_by: str, reason: str, metadata: Metadata
    ) -> CommandResult:
        command = EraseLead(lead_id=lead_id, requested_by=requested_by, reason=reason)
        stream = stream_of(lead_id)
        try:
            result = await self._leads.handle(stream, command, metadata)
        except GoneError:
            # Erased already: finish a shredding cut short earlier, then say so (410).
            await self._shred(lead_id)
            raise
        await self._shred(lead_id)
        return result

    async def _shred(self, lead_id: str) -> None:
        await self._keys.delete(prospect_id_of(lead_id))
        # Sealed under that key, a snapshot is unreadable now; dropping it is tidying.
        await self._leads.drop_snapshot(stream_of(lead_id))
        # Its keyed hashes name no one, but would still link it to other leads (ADR 28).
        await self._index.forget_lead(lead_id)
