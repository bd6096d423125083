"""Production runs Kafka with SASL over TLS (docs/security.md): every Kafka client a service
makes must take the configured protocol and credentials, none may be left in clear."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from crm_kernel.adapters import kafka_publisher
from crm_kernel.adapters.kafka_security import KafkaSecurity, broker_security, client_options
from faststream.security import BaseSecurity
from pydantic import ValidationError

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("shared/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]
RAW_CLIENTS = {"AIOKafkaAdminClient", "AIOKafkaConsumer", "AIOKafkaProducer"}


def test_plaintext_is_the_local_default_and_adds_nothing() -> None:
    assert client_options(KafkaSecurity()) == {}
    assert broker_security(KafkaSecurity()) is None


def test_sasl_over_tls_gives_every_raw_client_the_user_and_tls() -> None:
    settings = KafkaSecurity(
        security_protocol="SASL_SSL", sasl_username="crm-sales", sasl_password="s3cret-pass"
    )
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "crm-sales"
    assert options["ssl_context"] is not None


def test_sasl_without_credentials_and_sasl_in_clear_are_refused() -> None:
    with pytest.raises(ValidationError, match="CRM_KAFKA_SASL_USERNAME"):
        KafkaSecurity(security_protocol="SASL_SSL")
    with pytest.raises(ValidationError):
        KafkaSecurity(security_protocol="SASL_PLAINTEXT")  # type: ignore[arg-type]


def test_the_services_broker_takes_the_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: dict[str, object] = {}
    monkeypatch.setattr(kafka_publisher, "KafkaBroker", lambda *_, **kwargs: made.update(kwargs))
    monkeypatch.setenv("CRM_KAFKA_SECURITY_PROTOCOL", "SSL")
    kafka_publisher.new_broker("127.0.0.1:9", client_id="t")
    assert isinstance(made["security"], BaseSecurity)
    assert made["security"].use_ssl


def _calls_of_raw_clients(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) in RAW_CLIENTS
    ]


def test_every_raw_kafka_client_in_the_services_gets_the_security_options() -> None:
    calls = {path: _calls_of_raw_clients(path) for path in SOURCES}
    assert sum(map(len, calls.values())) >= 4, "the scan found none: has the code moved?"
    in_clear = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path, found in calls.items()
        for call in found
        if not any(
            isinstance(kw.value, ast.Call) and getattr(kw.value.func, "id", "") == "client_options"
            for kw in call.keywords
            if kw.arg is None
        )
    ]
    assert in_clear == [], f"pass **client_options() to these Kafka clients: {in_clear}"
