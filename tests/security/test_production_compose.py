"""The production compose override (docs/security.md) stays true to the services' settings:
every service in it talks TLS to the store, keeps its keys in the vault store, authenticates to
Kafka over TLS, and every CRM_ variable it sets is one a service reads. (No Docker engine on
this machine: the file is checked here, not run.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from crm_kernel.adapters.kafka_security import KafkaSecurity
from crm_kernel.contexts import SERVICES
from crm_kernel.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


def _compose(path: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / path).read_text())  # type: ignore[no-any-return]


def _known_variables() -> set[str]:
    return {f"CRM_{name.upper()}" for name in ServiceSettings.model_fields} | {
        f"CRM_KAFKA_{name.upper()}" for name in KafkaSecurity.model_fields
    }


def test_every_service_uses_tls_users_and_the_key_store_apart() -> None:
    base = _compose("docker-compose.yml")["services"]
    production = _compose("deploy/production/docker-compose.production.yml")["services"]
    assert set(SERVICES) <= set(base) and set(SERVICES) <= set(production)
    for name in SERVICES:
        env = production[name]["environment"]
        user = f"crm-{name}"
        assert (
            env["CRM_MONGO_URL"].startswith(f"mongodb://{user}:")
            and "tls=true" in env["CRM_MONGO_URL"]
        )
        assert env["CRM_VAULT_MONGO_URL"].startswith(f"mongodb://{user}:")
        assert "@vault:" in env["CRM_VAULT_MONGO_URL"] and "tls=true" in env["CRM_VAULT_MONGO_URL"]
        assert env["CRM_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["CRM_KAFKA_SASL_USERNAME"] == user
        unknown = {key for key in env if key.startswith("CRM_")} - _known_variables()
        assert unknown == set(), f"{name} sets variables no service reads: {unknown}"
        KafkaSecurity(
            security_protocol=env["CRM_KAFKA_SECURITY_PROTOCOL"],
            sasl_mechanism=env["CRM_KAFKA_SASL_MECHANISM"],
            sasl_username=user,
            sasl_password="given",
        )


def test_the_broker_has_a_user_per_service_and_no_listener_in_clear() -> None:
    kafka = _compose("deploy/production/docker-compose.production.yml")["services"]["kafka"]
    env = kafka["environment"]
    assert "PLAINTEXT://" not in env["KAFKA_LISTENERS"].replace("CONTROLLER://", "")
    jaas = env["KAFKA_LISTENER_NAME_SASL___SSL_PLAIN_SASL_JAAS_CONFIG"]
    assert all(f'user_crm-{name}="' in jaas for name in SERVICES)
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
