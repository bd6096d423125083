"""Composition root of the contacts service."""

from __future__ import annotations

from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_contacts.domain.customer import customer_decider
from crm_contacts.entrypoints.http import router


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    return build_write_service("contacts", {"customer": customer_decider}, [router], settings)
