from __future__ import annotations

import textwrap

import pytest
from django.core.management import CommandError, call_command

from routing.models import Endpoint

GOOD = """
- name: vllm-ministere
  kind: openai_compatible
  base_url: http://10.0.0.5:8000/v1
  model: mistralai/Mistral-Small-3.1-24B-Instruct-2503
  secret_env: VLLM_API_KEY
  hosting: on_premises
  jurisdiction: FR
  region: FR
  max_classification: sensitive
  capabilities: [summarise, translate, chat]
  languages: [fr, en]
  context_window: 131072
  max_output_tokens: 4096
  max_concurrency: 8
  rpm: 0
  tpm: 0
  price_input_per_1k: 0
  price_output_per_1k: 0
  enabled: true
- name: azure-large-eu
  kind: azure_ai_inference
  base_url: https://res.services.ai.azure.com/models
  model: Mistral-Large-3
  api_version: 2024-05-01-preview
  secret_env: AZURE_AI_KEY
  hosting: public_cloud
  jurisdiction: US
  region: francecentral
  deployment_type: datazone-eu
  max_classification: internal
  capabilities: [summarise, translate]
  context_window: 128000
  max_output_tokens: 4096
  rpm: 300
  tpm: 200000
  price_input_per_1k: 0.002
  price_output_per_1k: 0.006
"""


def _load(tmp_path, text):
    path = tmp_path / "endpoints.yaml"
    path.write_text(textwrap.dedent(text))
    call_command("loadendpoints", str(path))


@pytest.mark.django_db
def test_load_creates_then_is_idempotent(tmp_path, capsys):
    _load(tmp_path, GOOD)
    assert "2 created" in capsys.readouterr().out
    azure = Endpoint.objects.get(name="azure-large-eu")
    assert azure.deployment_type == "datazone-eu" and azure.tpm == 200000
    assert str(azure.price_output_per_1k) == "0.006000"
    assert azure.secret_env == "AZURE_AI_KEY" and azure.enabled
    _load(tmp_path, GOOD)
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out
    _load(tmp_path, GOOD.replace("rpm: 300", "rpm: 100"))
    assert "1 updated" in capsys.readouterr().out
    assert Endpoint.objects.get(name="azure-large-eu").rpm == 100
    assert Endpoint.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "entry", "key"),
    [
        (("  enabled: true", "  enabled: true\n  api_key: sk-123"), "entry 1 (vllm-ministere)", "api_key"),
        (("hosting: public_cloud", "hosting: cloud"), "entry 2 (azure-large-eu)", "hosting"),
        (("max_classification: internal", "max_classification: secret"), "entry 2", "max_classification"),
        (("context_window: 131072", "context_window: lots"), "entry 1", "context_window"),
        (("secret_env: VLLM_API_KEY", "secret_env: sk-live-abc/123"), "entry 1", "secret_env"),
        (("deployment_type: datazone-eu", "deployment_type: everywhere"), "entry 2", "deployment_type"),
        (("capabilities: [summarise, translate]", "capabilities: [summarise, dance]"), "entry 2", "capabilities"),
        (("  deployment_type: datazone-eu\n", ""), "entry 2", "deployment_type"),
    ],
)
def test_bad_values_name_entry_and_key_and_change_nothing(tmp_path, change, entry, key):
    with pytest.raises(CommandError) as excinfo:
        _load(tmp_path, GOOD.replace(*change))
    message = str(excinfo.value)
    assert entry in message and f"'{key}'" in message and "Nothing was changed" in message
    assert Endpoint.objects.count() == 0


@pytest.mark.django_db
def test_not_a_list_and_missing_file(tmp_path):
    with pytest.raises(CommandError, match="YAML list"):
        _load(tmp_path, "name: x\n")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("loadendpoints", str(tmp_path / "missing.yaml"))


def test_exit_code_is_non_zero(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "bad.yaml"
    path.write_text("- name: x\n  kind: nope\n")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "manage.py", "loadendpoints", str(path)], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0 and "entry 1 (x)" in proc.stderr
