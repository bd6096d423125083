"""Personal data protection: per-customer keys and crypto-shredding.

Personal fields are encrypted with AES-GCM under a key that belongs to the
customer. Deleting that key makes every stored and published copy
unreadable; readers then see ERASED instead of the value.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import ERASED, REGISTRY, UnknownEventTypeError, personal_fields
from crm_kernel.ports.keystore import KeyStore

PREFIX = "pii:v1:"


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _aad(customer_id: str, field: str) -> bytes:
    # Binds the ciphertext to its owner and field, so values cannot be swapped around.
    return f"{customer_id}/{field}".encode()


def encrypt_value(key: bytes, customer_id: str, field: str, value: Any) -> str:
    nonce = os.urandom(12)
    plain = json.dumps(value).encode()
    sealed = AESGCM(key).encrypt(nonce, plain, _aad(customer_id, field))
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt_value(key: bytes | None, customer_id: str, field: str, value: Any) -> Any:
    if not (isinstance(value, str) and value.startswith(PREFIX)):
        return value
    if key is None:
        return ERASED
    raw = base64.b64decode(value[len(PREFIX) :])
    try:
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], _aad(customer_id, field))
    except InvalidTag:
        return ERASED
    return json.loads(plain)


_FIELDS: dict[str, tuple[str, ...]] = {}  # a registered type's fields never change


def _fields_of(type_name: str) -> tuple[str, ...]:
    """The type's personal fields, remembered: asked for every event sealed or unsealed, and
    recomputing them from the model took a fortieth of the replay's time."""
    if (known := _FIELDS.get(type_name)) is not None:
        return known
    try:
        fields = personal_fields(REGISTRY.get(type_name))
    except UnknownEventTypeError:
        return ()  # not remembered: the type may be registered later
    _FIELDS[type_name] = fields
    return fields


def seal(envelope: EventEnvelope, key: bytes) -> EventEnvelope:
    """The envelope with its personal fields encrypted under the customer's key."""
    fields = _fields_of(envelope.type)
    if not fields or envelope.customer_id is None:
        return envelope
    data = dict(envelope.data)
    for field in fields:
        if data.get(field) is not None:
            data[field] = encrypt_value(key, envelope.customer_id, field, data[field])
    return envelope.model_copy(update={"data": data})


def unseal(envelope: EventEnvelope, key: bytes | None) -> EventEnvelope:
    """The envelope readable: personal fields decrypted, or ERASED without the key."""
    if envelope.customer_id is None:
        return envelope
    fields = _fields_of(envelope.type)
    if not fields:
        return envelope
    return envelope.with_values(
        {
            field: decrypt_value(key, envelope.customer_id, field, envelope.data.get(field))
            for field in fields
        }
    )


def needs_key(envelope: EventEnvelope) -> bool:
    return envelope.customer_id is not None and bool(_fields_of(envelope.type))


async def seal_all(
    envelopes: list[EventEnvelope],
    keys: KeyStore,
    known: Mapping[str, bytes] | None = None,
    likely_new: bool = False,
) -> list[EventEnvelope]:
    """`known`: keys the same command read already (its load), used instead of a lookup;
    `likely_new`: the customers are most likely new (KeyStore.get_or_create)."""
    found: dict[str, bytes] = dict(known or {})  # one key lookup per customer, not per event
    sealed = []
    for envelope in envelopes:
        if needs_key(envelope):
            assert envelope.customer_id is not None
            owner = envelope.customer_id
            if owner not in found:
                found[owner] = await keys.get_or_create(owner, likely_new)
            envelope = seal(envelope, found[owner])
        sealed.append(envelope)
    return sealed


def key_owners(envelopes: Iterable[EventEnvelope]) -> set[str]:
    """The customers whose keys sealed some of these envelopes."""
    return {e.customer_id for e in envelopes if e.customer_id and needs_key(e)}


def unseal_with(envelopes: list[EventEnvelope], found: Mapping[str, bytes]) -> list[EventEnvelope]:
    """The envelopes readable with keys already looked up (a missing key reads ERASED)."""
    return [
        unseal(e, found.get(e.customer_id)) if e.customer_id and needs_key(e) else e
        for e in envelopes
    ]


async def unseal_all(envelopes: list[EventEnvelope], keys: KeyStore) -> list[EventEnvelope]:
    owners = key_owners(envelopes)
    return unseal_with(envelopes, await keys.get_many(owners) if owners else {})
