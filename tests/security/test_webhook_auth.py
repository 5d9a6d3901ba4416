"""What authenticates each public endpoint, beyond the per-mechanism tests in tests/adapters.

HMAC (tests/unit/triggers/test_signed_upgrade.py, test_signed_restore.py), SNS signatures
(tests/unit/triggers/test_sns_signature.py), the admission token
(tests/adapters/aws/test_webhook.py) and GCP OIDC (tests/adapters/gcp/test_on_http.py) are
tested where they live; here: Azure's function keys, and that no deployed route is open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.adapters.azure.conftest import built

ROOT = Path(__file__).resolve().parents[2]
AZURE_AUTH = {
    "alert": "function",
    "upgrade": "function",
    "restore": "function",
    "admission": "anonymous",
}


@pytest.mark.parametrize("name", sorted(AZURE_AUTH), ids=sorted(AZURE_AUTH))
def test_azure_http_functions_require_a_function_key_except_admission(name: str) -> None:
    """The API server cannot send a function key, so admission checks its own bearer token."""
    (binding,) = [
        b for b in built()[name].get_bindings_dict()["bindings"] if b["type"] == "httpTrigger"
    ]
    assert str(binding["authLevel"].value) == AZURE_AUTH[name]


def test_every_aws_http_route_is_one_the_router_authenticates() -> None:
    """API Gateway exposes only routes with their own authentication (no /schedule)."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "serverless.yml").read_text())
    paths = {
        event["httpApi"]["path"]
        for function in config["functions"].values()
        for event in function.get("events", [])
        if isinstance(event, dict) and isinstance(event.get("httpApi"), dict)
    }
    assert paths == {"/admission", "/upgrade", "/restore", "/sns"}


def test_public_gcp_http_function_is_configured_to_authenticate_itself() -> None:
    """It is public on purpose (the API server has no Google credentials), so its settings
    must carry everything the router authenticates with, secrets from Secret Manager."""
    main = (ROOT / "infra/gcp/main.tf").read_text()
    assert 'member   = "allUsers"' in main and "CKV_GCP_102" in main  # public, and justified
    for setting in ("WEAVEFN_OIDC_AUDIENCE", "WEAVEFN_UPGRADE_SECRET", "WEAVEFN_ADMISSION_TOKEN"):
        assert setting in main, setting
    assert "secret_environment_variables" in main
