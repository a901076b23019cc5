from __future__ import annotations

from routing.gateway import TaskSpec
from routing.models import Endpoint

MESSAGES = [
    {"role": "system", "content": "Summarise in French."},
    {"role": "user", "content": "Premier paragraphe."},
    {"role": "user", "content": "Second paragraphe."},
]


def make_endpoint(fake_url: str, name: str, **overrides) -> Endpoint:
    values = dict(
        name=name,
        kind="openai_compatible",
        base_url=f"{fake_url}/{name}/v1",
        model="mistral-small-2503",
        hosting="on_premises",
        jurisdiction="FR",
        max_classification="sensitive",
        capabilities=["summarise", "translate", "chat"],
        languages=[],
        context_window=32768,
        max_output_tokens=4096,
        max_concurrency=4,
    )
    values.update(overrides)
    return Endpoint.objects.create(**values)


def task(**overrides) -> TaskSpec:
    values = dict(kind="summarise", languages=("fr",), input_tokens=500, output_tokens=200, classification="internal")
    values.update(overrides)
    return TaskSpec(**values)
