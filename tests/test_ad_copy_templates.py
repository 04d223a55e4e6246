"""The grounded templates alone (the model failing, or every model field rejected) still give the variants asked
for, on a catalogue that has no descriptions (issue 21: the real-review catalogue returned one Google ad in three)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from local_models.textgen.base import ChatMessage, Generation, GenerationOptions, ProviderError
from test_ad_copy_sense import writer_for


class NoModel:
    """A local generator that always fails, so every field comes from the templates."""

    name = "local"
    model = "none"

    def generate(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> Generation:
        raise ProviderError("no model in this test")


def templates_only(product: str, channel: str, workspace: Any, *, description: bool) -> Any:
    from core.workspace import Workspace
    from tools.models import embedder

    writer = writer_for(product, channel, workspace)
    writer.generator = NoModel()
    writer.embedder = embedder(Workspace.open(workspace).settings)
    if not description:
        writer.summary.facts.pop("description", None)
    return writer


@pytest.mark.parametrize("description", [True, False])
def test_three_google_ads_from_the_templates_alone(demo_store, description: bool) -> None:
    writer = templates_only("Aurora Linen Midi Dress", "google_search", demo_store.workspace, description=description)
    variants, warnings = writer.write()
    assert len(variants) == 3, (warnings, [v.fields for v in variants])
    assert all(source == "template" for v in variants for f, source in v.sources.items() if f != "headline_1")
    descriptions = [v.fields[f] for v in variants for f in ("description_1", "description_2")]
    assert len(set(descriptions)) == 6, descriptions


def test_each_praised_aspect_leads_a_template(demo_store) -> None:
    writer = templates_only("Aurora Linen Midi Dress", "google_search", demo_store.workspace, description=False)
    labels = [p.label for p in writer.summary.praised[:3]]
    assert len(labels) == 3, labels
    pairs = [t for t in writer._template_texts("headline") if " and " in t]
    leads = {t.split(" and ")[0].casefold() for t in pairs}
    assert leads == {label.casefold() for label in labels}, pairs
