"""The key store apart from the data (docs/security.md): with CRM_VAULT_MONGO_URL the keys and
the revocation list live in a store of their own, and readiness checks it too."""

from __future__ import annotations

from crm_kernel.adapters.mongo import mongo_client, vault_client
from crm_kernel.runtime import readiness_checks
from crm_kernel.settings import ServiceSettings


def test_without_a_vault_url_the_keys_share_the_data_client() -> None:
    settings = ServiceSettings(mongo_url="mongodb://127.0.0.1:9/")
    data = mongo_client(settings.mongo_url, settings, connect=False)
    assert vault_client(settings, data) is data


def test_a_vault_url_gives_the_keys_a_client_of_their_own_that_readiness_checks() -> None:
    settings = ServiceSettings(
        mongo_url="mongodb://127.0.0.1:9/", vault_mongo_url="mongodb://127.0.0.2:10/"
    )
    data = mongo_client(settings.mongo_url, settings, connect=False)
    vault = vault_client(settings, data, connect=False)
    assert vault is not data
    assert vault._topology_settings.seeds == {("127.0.0.2", 10)}
    names = [check.__name__ for check in readiness_checks(data, None, settings, vault)]  # type: ignore[arg-type]
    assert names == ["mongodb", "kafka", "key_store"]
