"""Every list of phases derives from the one graph: the API's enum, the CLI's choices, the runner's
functions, the state machine and the dashboard's menu."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

from eventlens.pipeline.graph import GRAPH, PHASES, PHOTO_PHASES, dependents, prerequisite

ROOT = Path(__file__).resolve().parents[3]


def test_every_phase_names_an_importable_function_in_its_order() -> None:
    for phase in GRAPH:
        module, _, name = phase.function.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), phase.name
    assert PHASES[0] == "sync"
    assert PHASES[-1] == "tag"


def test_a_phase_comes_after_the_phase_it_needs() -> None:
    for phase in GRAPH:
        if phase.after is not None:
            assert PHASES.index(phase.after) < PHASES.index(phase.name)
            assert phase.after in PHOTO_PHASES
    assert prerequisite("embed") == "describe"
    assert set(dependents("analyze")) == {"describe", "embed", "faces"}
    assert dependents("describe") == ("embed",)


def test_the_api_enum_is_full_plus_the_graph() -> None:
    from eventlens.api.app import openapi_json

    schemas = json.loads(openapi_json())["components"]["schemas"]
    phase = schemas["PipelineRunRequest"]["properties"]["phase"]
    assert phase["enum"] == ["full", *PHASES]


def test_the_cli_offers_full_plus_the_graph() -> None:
    from eventlens.cli import pipeline_run

    choice = next(p for p in pipeline_run.params if p.name == "phase")
    assert list(choice.type.choices) == ["full", *PHASES]  # type: ignore[attr-defined]


def test_the_dashboard_keeps_no_phase_list_of_its_own() -> None:
    html = (ROOT / "web" / "admin.html").read_text()
    scripts = "".join(p.read_text() for p in (ROOT / "web" / "js" / "admin").rglob("*.js"))
    assert not re.search(r'<option value="(sync|scan|analyze|describe|embed|faces|dedupe|tag)"', html)
    assert "phase_names" in scripts
    for name in PHASES:
        assert f'"{name}"' not in scripts, f"the dashboard spells out the phase {name!r}"


def test_the_state_machine_has_a_task_per_phase() -> None:
    asl = json.loads((ROOT / "infra" / "statemachines" / "pipeline.asl.json").read_text())
    text = json.dumps(asl)
    for name in PHASES:
        assert "${" + name.capitalize() + "FunctionArn}" in text
