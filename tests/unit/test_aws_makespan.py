"""benchmarks/aws_makespan.py simulates the state machine it reads, not one of its own."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = 300


@pytest.fixture(scope="module")
def makespan() -> ModuleType:
    spec = importlib.util.spec_from_file_location("aws_makespan", ROOT / "benchmarks" / "aws_makespan.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["aws_makespan"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def template(makespan: ModuleType) -> Any:
    return makespan.Template.load(ROOT / "template.yaml")


def asl() -> dict[str, Any]:
    return dict(json.loads((ROOT / "infra" / "statemachines" / "pipeline.asl.json").read_text()))


def maps(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Map state, top level or inside a Parallel branch."""
    found = {n: s for n, s in states.items() if s["Type"] == "Map"}
    for state in states.values():
        for branch in state.get("Branches", []):
            found.update(maps(branch["States"]))
    return found


def test_a_narrower_describe_map_in_the_definition_makes_the_gallery_later(
    makespan: ModuleType, template: Any, tmp_path: Path
) -> None:
    # Given the committed definition and a copy whose describe Map runs one worker at a time
    narrow = asl()
    maps(narrow["States"])["Describe workers"]["MaxConcurrency"] = 1
    copy = tmp_path / "narrow.asl.json"
    copy.write_text(json.dumps(narrow))
    # When both are simulated on the same photos and seed
    shipped = makespan.simulate(PHOTOS, template=template)
    narrowed = makespan.simulate(PHOTOS, definition=copy, template=template)
    # Then only the describe span changed, and it grew
    assert narrowed.tally.spans["describe"][1] - narrowed.tally.spans["describe"][0] > 1.5 * (
        shipped.tally.spans["describe"][1] - shipped.tally.spans["describe"][0]
    )
    assert narrowed.seconds > shipped.seconds


def test_the_simulation_is_deterministic_for_a_seed(makespan: ModuleType, template: Any) -> None:
    first = makespan.simulate(PHOTOS, template=template, seed=7)
    again = makespan.simulate(PHOTOS, template=template, seed=7)
    other = makespan.simulate(PHOTOS, template=template, seed=8)
    assert first.seconds == again.seconds
    assert first.seconds != other.seconds


def test_every_phase_and_step_of_the_definition_is_simulated(makespan: ModuleType, template: Any) -> None:
    from eventlens.pipeline.graph import PHASES

    sys.path.insert(0, str(ROOT / "infra" / "statemachines"))
    try:
        from generate import STEPS
    finally:
        sys.path.pop(0)
    result = makespan.simulate(PHOTOS, template=template)
    assert set(result.tally.spans) == set(PHASES) | set(STEPS)


def test_thinking_tokens_are_billed_as_output(makespan: ModuleType, template: Any) -> None:
    dynamic = makespan.simulate(PHOTOS, template=template, thinking=-1)
    none = makespan.simulate(PHOTOS, template=template, thinking=0)
    assert dynamic.cost["  of which thinking"] == pytest.approx(
        makespan.DYNAMIC_THINKING_TOKENS * makespan.PRICE["flash_output_token"] * 1000
    )
    assert none.cost["  of which thinking"] == 0
    assert dynamic.cost["Gemini describe"] > none.cost["Gemini describe"]


def test_the_simulated_definition_is_the_one_the_template_deploys_and_the_generator_writes(
    makespan: ModuleType, template: Any
) -> None:
    sys.path.insert(0, str(ROOT / "infra" / "statemachines"))
    try:
        import generate
    finally:
        sys.path.pop(0)
    assert template.definition_path() == generate.OUTPUT
    assert generate.OUTPUT.read_text() == generate.render()


def test_idle_cost_reads_the_templates_defaults_and_conditions(makespan: ModuleType, template: Any) -> None:
    """Given today's template, idle costs no Aurora ACU (paused at 0), no RDS Proxy, no NAT gateway
    or public IPv4 address (InternetEgress=ipv6 leaves them out); with InternetEgress=nat they come
    back, priced hourly: the cost model follows the template, not a list of its own."""
    idle = makespan.idle_monthly(template)
    assert not [k for k in idle if "Proxy" in k or "NAT" in k or "IPv4" in k]
    (aurora,) = [k for k in idle if k.startswith("Aurora")]
    assert "paused at 0 ACU" in aurora
    assert idle[aurora] == 0
    assert sum(idle.values()) <= 5, idle

    raw = json.loads(json.dumps(template.raw, default=str))
    raw["Parameters"]["InternetEgress"]["Default"] = "nat"
    raw["Parameters"]["DbMinCapacity"]["Default"] = 0.5
    nat = makespan.idle_monthly(makespan.Template(raw))
    assert nat["NAT gateway x1"] == pytest.approx(0.045 * 730)
    assert nat["public IPv4 address x1"] == pytest.approx(0.005 * 730)
    assert nat["Aurora at DbMinCapacity=0.5 ACU"] == pytest.approx(0.5 * 0.12 * 730)


def test_idle_lines_follow_the_switches_that_cost_money(makespan: ModuleType, template: Any) -> None:
    """Waf=on and MonitoringDashboard=on bring their monthly charges back (WAF only where the stack
    creates its WebACL, us-east-1); alarms are billed per metric read, not per expression."""
    raw = json.loads(json.dumps(template.raw, default=str))
    raw["Parameters"]["Waf"]["Default"] = "on"
    raw["Parameters"]["MonitoringDashboard"]["Default"] = "on"
    on = makespan.idle_monthly(makespan.Template(raw))
    (waf,) = [v for k, v in on.items() if k.startswith("WAF")]
    assert waf == pytest.approx(5 + 4 * 1)
    assert on["dashboard x1"] == 3
    off = makespan.idle_monthly(template)
    assert not [k for k in off if k.startswith(("WAF", "dashboard"))]
    (alarms,) = [v for k, v in off.items() if k.startswith("alarms")]
    assert alarms <= 1.0


def test_every_schedule_is_known_to_wake_the_database_or_not(makespan: ModuleType, template: Any) -> None:
    """A schedule added to the template must be classed (it connects every time, or is gated), or
    the idle cost would miss a database woken on a timer."""
    events = set(makespan.schedules(template))
    assert events
    assert events == makespan.SCHEDULES_THAT_WAKE_THE_DATABASE | makespan.SCHEDULES_GATED
    idle = makespan.idle_monthly(template)
    (woken,) = [v for k, v in idle.items() if "woken by DailyFaceRetention" in k]
    assert woken == pytest.approx(30.4 * (15 + 2 + 300) / 3600 * 0.5 * 0.12, rel=0.01)


def test_idle_before_is_the_baseline_commits_template(makespan: ModuleType) -> None:
    """The 'before' column is template.yaml at BASELINE_REV: Aurora at 0.5 ACU, RDS Proxy and a NAT
    gateway, ~$186 a month; the current template is cheaper by all three."""
    before = makespan.baseline_template(makespan.BASELINE_REV)
    assert before is not None
    idle = makespan.idle_monthly(before)
    assert idle["RDS Proxy (8-ACU minimum)"] == pytest.approx(8 * 0.015 * 730)
    assert idle["NAT gateway x1"] > 30
    assert sum(idle.values()) > 150


def test_a_run_on_a_paused_database_waits_for_it_to_resume(makespan: ModuleType, template: Any) -> None:
    """DbMinCapacity=0: the first connection of a run waits AURORA_RESUME_S; kept warm, it does not."""
    paused = makespan.simulate(PHOTOS, template=template).seconds
    raw = json.loads(json.dumps(template.raw, default=str))
    raw["Parameters"]["DbMinCapacity"]["Default"] = 0.5
    warm = makespan.simulate(PHOTOS, template=makespan.Template(raw)).seconds
    assert paused - warm == pytest.approx(makespan.AURORA_RESUME_S, abs=3)
