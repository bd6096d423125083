"""Composition root of the support service."""

from __future__ import annotations

from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_support.entrypoints.http import router


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    return build_write_service("support", [router], settings)
