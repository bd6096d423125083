"""The one way to open a MongoDB client: every call has a bound (ISSUE 9).

Without timeouts a store that stops answering (a frozen or deadlocked server) holds every
caller forever: requests hang, the projector silently stops. With them a call fails within
seconds, and callers answer 503 or retry.
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from crm_kernel.settings import ServiceSettings


def mongo_client(
    url: str, settings: ServiceSettings | None = None, **options: Any
) -> AsyncMongoClient[dict[str, Any]]:
    """A client on `url` with the server-selection, connect and socket timeouts of `settings`
    (or their defaults: 5, 5 and 15 s) and timezone-aware datetimes; `options` add to them
    (e.g. `connect=False`, so nothing connects before the event loop runs)."""
    if settings is None:
        fields = ServiceSettings.model_fields
        selection, connect, socket = (
            fields[f"mongo_{name}_timeout_s"].default
            for name in ("server_selection", "connect", "socket")
        )
    else:
        selection = settings.mongo_server_selection_timeout_s
        connect = settings.mongo_connect_timeout_s
        socket = settings.mongo_socket_timeout_s
    return AsyncMongoClient(
        url,
        **{
            "tz_aware": True,
            "serverSelectionTimeoutMS": round(selection * 1000),
            "connectTimeoutMS": round(connect * 1000),
            "socketTimeoutMS": round(socket * 1000),
            **options,
        },
    )


def vault_client(
    settings: ServiceSettings, data: AsyncMongoClient[dict[str, Any]], **options: Any
) -> AsyncMongoClient[dict[str, Any]]:
    """The client of the key store: `data` itself unless CRM_VAULT_MONGO_URL names a store of
    its own (then a new client, which its owner closes beside `data`)."""
    if not settings.vault_mongo_url:
        return data
    return mongo_client(settings.vault_mongo_url, settings, **options)
