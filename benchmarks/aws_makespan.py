"""Time to gallery and cost per 1,000 photos on AWS, simulated from the state machine that deploys.

Nothing here reaches AWS or Gemini, so the figures rest on two things read from this checkout and
one set of stated assumptions:
- read: infra/statemachines/pipeline.asl.json (states, Map widths and MaxConcurrency, Parallel
  branches, the batch loop and its cap, which payload fields a worker gets), template.yaml (memory
  size, timeout and environment of each phase function, parameter defaults, the idle resources)
  and eventlens' settings (the Gemini thinking budget and limiter);
- measured here: CPU seconds per photo per phase, recorded in docs/deploy.md ("Cost estimate",
  `benchmarks/pipeline.py --photos 12 --single`, median of three runs; not re-run for this, as the
  machine's cores are shared);
- assumed: every constant in the ASSUMPTIONS block, each with its source.

A discrete-event simulation (seeded, deterministic): every Map worker is one Lambda invocation with
as many photos in flight as its process runs threads; each photo takes its phase's CPU time
(scaled to the function's vCPU share), its S3 time, its database time (one shared Aurora) and,
for Gemini phases, a call that waits for the rate limiter and then a drawn latency.

    .venv/bin/python benchmarks/aws_makespan.py [--photos 1000 10000 100000] [--definition PATH]
        [--template PATH] [--map-workers N] [--thinking-budget N] [--seed 13] [--idle-baseline REV]
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "core"))

TEMPLATE = ROOT / "template.yaml"

# ---------------------------------------------------------------- ASSUMPTIONS (with sources)
MB_PER_VCPU = 1769
"""Lambda gives one vCPU at 1,769 MB, proportionally less or more (AWS Lambda docs, "Memory and
computing power"). One arm64 vCPU is taken to do the work of one core of this machine."""

CPU_S_PER_PHOTO = {"scan": 0.002, "analyze": 0.088, "faces": 0.346, "describe": 0.06, "embed": 0.0}
"""Measured here (docs/deploy.md, pipeline.py --single): scan 0.002, analyze 0.088, faces (SFace)
0.346. describe on AWS does a draft decode and a 1,536 px JPEG encode before its Gemini call:
assumed 0.06 (the draft decode alone measured 0.054 s on a 1.2 MB JPEG, docs/deploy.md)."""

S3_S_PER_PHOTO = {"scan": 0.15, "analyze": 0.2, "faces": 0.1, "describe": 0.1, "embed": 0.0}
"""Assumed (docs/deploy.md): a 5 MB original read from S3 through the gateway endpoint at ~50 MB/s;
analyze also writes three thumbnails. scan reads every new object once to hash it."""

S3_LIST_S_PER_1000 = 0.15
"""Assumed: one ListObjectsV2 page (1,000 keys) per ~150 ms."""
S3_MANIFEST_S_PER_1000 = 0.002
"""Assumed: the scan manifest's ~100 bytes a key read at ~50 MB/s (one GET), plus parsing."""

EVENT_CPU_S_PER_PHOTO = {"sync": 0.0002, "dedupe": 0.0005, "tag": 0.0002, "transcode": 0.0}
"""Event-wide phases: measured 0.000 s/photo at 12 photos (docs/deploy.md); assumed linear at these
rates (comparing dHashes and assigning tabs in SQL) for thousands. The transcode step (generate.py
STEPS) costs a photo nothing: the simulated event holds photos only, so it is one invocation of
the ML image that finds no video waiting (its cold start and one query)."""

DB_MS_PER_PHOTO = {"scan": 4.0, "analyze": 3.0, "faces": 4.0, "describe": 3.0, "embed": 2.0}
"""Assumed Aurora CPU per photo per phase (claim share, one completing UPDATE, face rows, vector
insert), in ms of one vCPU; event-wide phases: sync 0.2, dedupe 1.0, tag 0.5."""
DB_MS_EVENT = {"sync": 0.2, "dedupe": 1.0, "tag": 0.5, "transcode": 0.0}

VCPU_PER_ACU = 0.25
"""Aurora Serverless v2: 1 ACU is ~2 GiB of memory with proportional CPU; an 8-ACU writer is about a
db.r6g.large (2 vCPU, 16 GiB) (AWS Aurora user guide, "How Aurora Serverless v2 works")."""

DB_TARGET_UTILISATION = 0.7
"""Fan-out is sized to keep Aurora at or under this share of DbMaxCapacity's CPU."""

COLD_START_S = {"Zip": 1.5, "Image": 4.0}
"""Assumed: first invocation of a worker (Python + layers; the ML container image)."""
INVOKE_OVERHEAD_S = 0.08
"""Assumed: Step Functions Task -> Lambda invoke and reply, per batch."""
BUDGET_MARGIN_S = 50.0
"""WallClockGuard.for_lambda's margin: a batch stops this long before the Lambda timeout."""
ONE_AT_A_TIME = ("scan", "embed")
"""Phases whose batch works through its items in one thread (run_scan; embed's claim-embed loop)."""
INLINE_MAP_CAP = 40
"""Step Functions: an inline Map runs at most 40 iterations at once (MaxConcurrency 0 = 40)."""


@dataclass(frozen=True)
class GeminiLimits:
    """Per-project quota of one model (ai.google.dev/gemini-api/docs/rate-limits, Tier 2, 2025)."""

    rpm: int
    tpm: int
    """Input tokens per minute."""


QUOTA = {
    "gemini-2.5-flash": GeminiLimits(rpm=2_000, tpm=3_000_000),
    "gemini-embedding-001": GeminiLimits(rpm=5_000, tpm=5_000_000),
}

DESCRIBE_INPUT_TOKENS = 1_500
"""docs/deploy.md: a 1,536 px image (4 tiles of 258 tokens, ai.google.dev "Image understanding")
plus the prompt and what is known about the photo."""
DESCRIBE_OUTPUT_TOKENS = 300
DYNAMIC_THINKING_TOKENS = 900
"""Assumed mean thinking tokens of Gemini 2.5 Flash's default (dynamic) thinking on this prompt;
billed as output (ai.google.dev pricing: "output price, including thinking tokens")."""
EMBED_TOKENS_PER_PHOTO = 200

GEMINI_LATENCY_S = {"thinking": (3.0, 0.45), "no-thinking": (1.3, 0.35), "embed": (0.5, 0.3)}
"""Assumed log-normal (median s, sigma) per call: ~3 s per describe with dynamic thinking (issue 13,
"3 s per Gemini call"), ~1.3 s with thinking_budget=0 (no thinking tokens to generate before the
300-token answer); one batchEmbedContents call 0.5 s."""

PRICE = {
    "lambda_gb_s": 0.0000133334,  # arm64, us-east-1 (aws.amazon.com/lambda/pricing)
    "lambda_request": 0.20 / 1e6,
    "sfn_transition": 0.025 / 1000,  # Standard workflows (aws.amazon.com/step-functions/pricing)
    "acu_hour": 0.12,  # Aurora Serverless v2, us-east-1 (aws.amazon.com/rds/aurora/pricing)
    "proxy_acu_hour": 0.015,  # RDS Proxy, Serverless v2 target, 8-ACU minimum (rds/proxy/pricing)
    "nat_hour": 0.045,  # aws.amazon.com/vpc/pricing
    "ipv4_hour": 0.005,  # public IPv4 address (the NAT's EIP)
    "interface_endpoint_az_hour": 0.01,
    "secret_month": 0.40,  # aws.amazon.com/secrets-manager/pricing
    "waf_acl_month": 5.0,  # aws.amazon.com/waf/pricing
    "waf_rule_month": 1.0,
    "alarm_month": 0.10,  # standard-resolution metric alarm (aws.amazon.com/cloudwatch/pricing)
    "dashboard_month": 3.0,
    "flash_input_token": 0.30 / 1e6,  # Gemini 2.5 Flash, paid tier (ai.google.dev/pricing)
    "flash_output_token": 2.50 / 1e6,  # incl. thinking tokens
    "embedding_token": 0.15 / 1e6,  # gemini-embedding-001
}
HOURS_PER_MONTH = 730
IDLE_REGION = "us-east-1"
"""The prices above are us-east-1's, so the template's conditions are read as a stack there."""
BASELINE_REV = "81506b7"
"""The commit whose template.yaml is "before" in the idle comparison: issue 13's pipeline work, before
the idle work (Aurora at 0.5 ACU minimum, RDS Proxy, a NAT gateway)."""
AURORA_RESUME_S = 15.0
"""Aurora Serverless v2 resuming from a pause at 0 ACU (AWS Aurora user guide, "auto-pause"): a run
that starts on an idle gallery waits this long for its first connection (DbMinCapacity=0)."""
SCHEDULED_RUN_S = 2.0
"""Assumed length of one scheduled invocation when nothing is due (list a marker prefix, or read
each event's retention date)."""
SCHEDULES_THAT_WAKE_THE_DATABASE = {"DailyFaceRetention"}
"""Scheduled events whose function connects to the database every time (so a paused Aurora resumes,
runs at its 0.5-ACU floor and pauses again DbSecondsUntilAutoPause later). The others are gated:
the find-me purge connects only while an S3 marker says a face template may be kept (a test holds
this list against the template's schedules)."""
SCHEDULES_GATED = {"Every5Minutes"}
AURORA_AWAKE_FLOOR_ACU = 0.5
AURORA_SCALE_DOWN_TAIL_S = 300
"""Assumed: after a run Aurora takes ~5 minutes to scale back down (billed at half the peak)."""


# ---------------------------------------------------------------- the definition, read


@dataclass
class PhaseStep:
    """One phase as the state machine runs it: a batch loop, alone or as a Map of workers."""

    phase: str
    function: str
    """template.yaml's function resource behind ${<Name>FunctionArn}."""
    workers: int = 1
    max_concurrency: int = 1
    sharded: bool = False
    """The worker learns how many workers share the phase (and takes only its share)."""
    max_batches: int = 50
    listed_once: bool = False
    """One invocation listed the prefix before the Map; its workers read the manifest instead."""
    transitions_per_batch: int = 3
    transitions_fixed: int = 0


@dataclass
class ParallelStep:
    branches: list[list[Step]]


Step = PhaseStep | ParallelStep


@dataclass
class Plan:
    steps: list[Step]
    fixed_transitions: int


def _substitute(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


class DefinitionReader:
    """Walks the ASL as a `full` run with face matching on takes it, into sequential and parallel steps."""

    def __init__(self, asl: dict[str, Any]) -> None:
        self.asl = asl
        self.transitions = 0
        self.listed: set[str] = set()
        """Phases one invocation listed for before their Map ({"list": true} in its payload)."""

    def plan(self) -> Plan:
        steps = self._walk(self.asl["States"], self.asl["StartAt"], {"phase": "full", "face_matching": True})
        return Plan(steps, self.transitions)

    def _walk(self, states: dict[str, Any], name: str | None, data: dict[str, Any]) -> list[Step]:
        steps: list[Step] = []
        while name is not None:
            state = states[name]
            self.transitions += 1
            kind = state["Type"]
            if kind == "Task":
                phase = state["Parameters"]["Payload"].get("phase")
                if isinstance(phase, str) and state["Parameters"]["Payload"].get("list"):
                    self.listed.add(phase)
                elif isinstance(phase, str):
                    step, name = self._phase_loop(states, name, state)
                    steps.append(step)
                    continue
                if state["Parameters"]["Payload"].get("action") == "start":
                    data["run_id"] = "started"
                if state["Parameters"]["Payload"].get("action") == "caught_up":
                    data["more"] = {"waiting": 0}  # one burst, all there when the run starts
            elif kind == "Pass":
                self._pass(state, data)
            elif kind == "Choice":
                name = self._choose(state, data)
                continue
            elif kind == "Map":
                steps.append(self._map(state, data))
            elif kind == "Parallel":
                branches = [self._walk(b["States"], b["StartAt"], dict(data)) for b in state["Branches"]]
                steps.append(ParallelStep(branches))
            elif kind in ("Succeed", "Fail"):
                break
            if state.get("End"):
                break
            name = state.get("Next")
        return steps

    def _phase_loop(self, states: dict[str, Any], name: str, task: dict[str, Any]) -> tuple[PhaseStep, str]:
        """A phase Task, its done? Choice (the first rule: done; the second: the batch cap)."""
        choice = states[task["Next"]]
        cap = next(
            (r["NumericGreaterThanEquals"] for r in choice["Choices"] if "NumericGreaterThanEquals" in r), 50
        )
        payload = task["Parameters"]["Payload"]
        function = re.fullmatch(r"\$\{(\w+)Arn\}", task["Parameters"]["FunctionName"])
        assert function, task["Parameters"]["FunctionName"]
        step = PhaseStep(
            phase=payload["phase"],
            function=function.group(1),
            sharded="workers.$" in payload,
            max_batches=int(cap),
        )
        self.transitions += 1  # the Choice after the last batch
        return step, choice["Choices"][0]["Next"]

    def _map(self, state: dict[str, Any], data: dict[str, Any]) -> PhaseStep:
        items = self._path(data, state["ItemsPath"])
        processor = state["ItemProcessor"]
        reader = DefinitionReader({"States": processor["States"], "StartAt": processor["StartAt"]})
        [inner] = reader._walk(processor["States"], processor["StartAt"], {})
        assert isinstance(inner, PhaseStep), "a Map runs one phase"
        concurrency = int(state.get("MaxConcurrency", 0)) or INLINE_MAP_CAP
        inner.workers = len(items)
        inner.max_concurrency = min(concurrency, INLINE_MAP_CAP, len(items))
        inner.listed_once = inner.phase in self.listed
        return inner

    def _pass(self, state: dict[str, Any], data: dict[str, Any]) -> None:
        params = state.get("Parameters")
        result = state.get("Result")
        value: Any = result
        if isinstance(params, dict):
            value = {k.removesuffix(".$"): self._intrinsic(v, data) for k, v in params.items()}
        path = state.get("ResultPath", "$")
        if path and path.startswith("$.") and value is not None:
            target = data
            *parents, last = path[2:].split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target[last] = value

    def _intrinsic(self, text: Any, data: dict[str, Any]) -> Any:
        if not isinstance(text, str):
            return text
        match = re.fullmatch(r"States\.ArrayRange\((\d+), (\d+), (\d+)\)", text)
        if match:
            start, end, step = map(int, match.groups())
            return list(range(start, end + 1, step))
        return None

    def _path(self, data: dict[str, Any], path: str) -> Any:
        value: Any = data
        for part in path.removeprefix("$.").split("."):
            value = value[part]
        return value

    def _choose(self, state: dict[str, Any], data: dict[str, Any]) -> str:
        for rule in state["Choices"]:
            if self._rule(rule, data):
                return str(rule["Next"])
        return str(state["Default"])

    def _rule(self, rule: dict[str, Any], data: dict[str, Any]) -> bool:
        if "And" in rule:
            return all(self._rule(r, data) for r in rule["And"])
        if "Or" in rule:
            return any(self._rule(r, data) for r in rule["Or"])
        if "Not" in rule:
            return not self._rule(rule["Not"], data)
        try:
            value = self._path(data, rule["Variable"])
        except (KeyError, TypeError):
            value = None
        if "IsPresent" in rule:
            return (value is not None) == rule["IsPresent"]
        if "StringEquals" in rule:
            return bool(value == rule["StringEquals"])
        if "BooleanEquals" in rule:
            return bool(value == rule["BooleanEquals"])
        if "NumericEquals" in rule:
            return bool(value == rule["NumericEquals"])
        if "NumericGreaterThanEquals" in rule:
            return value is not None and bool(value >= rule["NumericGreaterThanEquals"])
        return False


# ---------------------------------------------------------------- the template, read


@dataclass(frozen=True)
class FunctionSpec:
    memory_mb: int
    timeout_s: int
    image: bool
    env: dict[str, str]

    @property
    def vcpu(self) -> float:
        return self.memory_mb / MB_PER_VCPU

    @property
    def threads(self) -> int:
        """Photos in flight: EVENTLENS_PIPELINE_WORKERS, else os.cpu_count() (Lambda shows 2 CPUs up
        to 3,008 MB, then one per 1,769 MB)."""
        if "EVENTLENS_PIPELINE_WORKERS" in self.env:
            return int(self.env["EVENTLENS_PIPELINE_WORKERS"])
        return max(2, math.ceil(self.vcpu))


@dataclass
class Template:
    raw: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Template:
        from cfnlint.decode import cfn_yaml

        return cls(dict(cfn_yaml.load(str(path))))

    def parameter(self, name: str) -> Any:
        return self.raw["Parameters"][name].get("Default")

    def value(self, value: Any) -> Any:
        if isinstance(value, dict) and "Ref" in value and value["Ref"] in self.raw.get("Parameters", {}):
            return self.parameter(value["Ref"])
        return value

    def function(self, name: str) -> FunctionSpec:
        globals_ = self.raw.get("Globals", {}).get("Function", {})
        props = self.raw["Resources"][name]["Properties"]
        env = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        return FunctionSpec(
            memory_mb=int(self.value(props.get("MemorySize", globals_.get("MemorySize", 128)))),
            timeout_s=int(self.value(props.get("Timeout", globals_.get("Timeout", 3)))),
            image=props.get("PackageType") == "Image",
            env={k: str(self.value(v)) for k, v in env.items() if not isinstance(self.value(v), dict)},
        )

    def substitutions(self, overrides: dict[str, str]) -> dict[str, str]:
        subs = self.raw["Resources"]["PipelineStateMachine"]["Properties"]["DefinitionSubstitutions"]
        values = {k: str(self.value(v)) for k, v in subs.items() if not isinstance(self.value(v), dict)}
        return {**values, **overrides}

    def definition_path(self) -> Path:
        """The file the PipelineStateMachine deploys (its DefinitionUri)."""
        props = self.raw["Resources"]["PipelineStateMachine"]["Properties"]
        return ROOT / str(props["DefinitionUri"])

    def resources(self, kind: str) -> list[dict[str, Any]]:
        """The resources of `kind` the stack creates with its parameter defaults (in IDLE_REGION)."""
        return [
            r
            for r in self.raw["Resources"].values()
            if r["Type"] == kind and ("Condition" not in r or self.condition(r["Condition"]))
        ]

    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.raw.get("Conditions", {})[name]))

    def _evaluate(self, node: Any) -> Any:
        """Conditions' intrinsics over parameter defaults: Equals, Not, And, Or, Condition, Ref, Join."""
        if isinstance(node, list):
            return [self._evaluate(n) for n in node]
        if not isinstance(node, dict):
            return node
        [(fn, arg)] = node.items()
        if fn == "Ref":
            if arg == "AWS::Region":
                return IDLE_REGION
            default = self.parameter(arg)
            return (
                default.split(",") if self.raw["Parameters"][arg]["Type"] == "CommaDelimitedList" else default
            )
        if fn == "Condition":
            return self.condition(arg)
        args = self._evaluate(arg)
        if fn == "Fn::Equals":
            return str(args[0]) == str(args[1])
        if fn == "Fn::Not":
            return not args[0]
        if fn == "Fn::And":
            return all(args)
        if fn == "Fn::Or":
            return any(args)
        if fn == "Fn::Join":
            return args[0].join(str(a) for a in args[1])
        raise ValueError(f"cannot evaluate {fn} in a condition")


# ---------------------------------------------------------------- configuration, read


@dataclass(frozen=True)
class GeminiSetup:
    thinking_budget: int | None
    """None: the model's default (dynamic) thinking."""
    shared_limiter: bool
    """One limiter for every worker (the database's) rather than one per process."""
    rpm_setting: int


def gemini_setup(env: dict[str, str], thinking_override: int | None) -> GeminiSetup:
    """What eventlens' settings give a function with this environment (defaults from config.py)."""
    from eventlens.config import Settings

    fields = Settings.model_fields

    def setting(name: str) -> Any:
        key = f"EVENTLENS_{name.upper()}"
        return env[key] if key in env else fields[name].get_default(call_default_factory=True)

    budget: int | None = None
    if "gemini_thinking_budget" in fields:
        raw = setting("gemini_thinking_budget")
        budget = None if raw is None or int(raw) < 0 else int(raw)
    if thinking_override is not None:
        budget = None if thinking_override < 0 else thinking_override
    shared = "gemini_limiter" in fields and setting("gemini_limiter") == "database"
    return GeminiSetup(budget, shared, int(setting("gemini_rpm")))


# ---------------------------------------------------------------- the simulation


class Limiter:
    """A fluid rate limit: starts spaced so that neither `per_s` calls nor `tokens_per_s` are exceeded."""

    def __init__(self, per_s: float, tokens_per_s: float = math.inf) -> None:
        self.per_s, self.tokens_per_s, self.free_at = per_s, tokens_per_s, 0.0

    def reserve(self, now: float, tokens: float = 0.0) -> float:
        start = max(now, self.free_at)
        self.free_at = start + max(1.0 / self.per_s, tokens / self.tokens_per_s)
        return start


class Server:
    """One shared server of `capacity` CPUs (Aurora): work queues behind earlier work."""

    def __init__(self, capacity: float) -> None:
        self.capacity, self.free_at, self.busy_s = capacity, 0.0, 0.0

    def serve(self, now: float, cpu_s: float) -> float:
        start = max(now, self.free_at)
        self.free_at = start + cpu_s / self.capacity
        self.busy_s += cpu_s
        return self.free_at


@dataclass
class Tally:
    gb_s: float = 0.0
    invocations: int = 0
    transitions: int = 0
    describe_calls: int = 0
    embed_calls: int = 0
    limit_wait_s: float = 0.0
    over_quota: bool = False
    failed: str = ""
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)


class Simulation:
    def __init__(
        self, template: Template, photos: int, seed: int, map_workers: str | None, thinking: int | None
    ) -> None:
        self.template = template
        self.photos = photos
        self.rng = random.Random(seed)
        self.heap: list[tuple[float, int, Callable[[float], None]]] = []
        self.seq = 0
        self.tally = Tally()
        db_acu = float(template.parameter("DbMaxCapacity"))
        self.db = Server(db_acu * VCPU_PER_ACU)
        if float(template.parameter("DbMinCapacity")) == 0:
            self.db.free_at = AURORA_RESUME_S  # the run starts on a paused database
        self.db_acu = db_acu
        self.map_workers = map_workers
        self.thinking = thinking
        self.limiters: dict[str, Limiter] = {}
        self.process_limiters: dict[tuple[str, int], Limiter] = {}
        self.setups: dict[str, GeminiSetup] = {}

    def at(self, when: float, fn: Callable[[float], None]) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (when, self.seq, fn))

    def run(self, plan: Plan) -> float:
        self.tally.transitions += plan.fixed_transitions
        end = [0.0]
        self._sequence(plan.steps, 0.0, lambda t: end.__setitem__(0, t))
        while self.heap:
            when, _, fn = heapq.heappop(self.heap)
            fn(when)
        return end[0]

    def _sequence(self, steps: list[Step], now: float, done: Callable[[float], None]) -> None:
        if not steps:
            done(now)
            return
        first, rest = steps[0], steps[1:]
        self._step(first, now, lambda t: self._sequence(rest, t, done))

    def _step(self, step: Step, now: float, done: Callable[[float], None]) -> None:
        if isinstance(step, ParallelStep):
            pending = [len(step.branches)]
            ends: list[float] = []

            def branch_done(t: float) -> None:
                ends.append(t)
                pending[0] -= 1
                if pending[0] == 0:
                    done(max(ends))

            for branch in step.branches:
                self._sequence(branch, now, branch_done)
            return
        PhaseRun(self, step, now, done).start()

    def gemini(
        self,
        model: str,
        worker: int,
        tokens: float,
        now: float,
        median: float,
        sigma: float,
        then: Callable[[float], None],
    ) -> None:
        """One call: waits for the limiter the code puts in front of it (one shared by every worker,
        or each process's own) and for the project quota, then takes a drawn latency."""
        quota = QUOTA[model]
        setup = self.setup_for(model)
        if model not in self.limiters:
            # The quota, or the shared limiter where it is set lower (it then keeps every worker under it).
            rpm = min(quota.rpm, setup.rpm_setting) if setup.shared_limiter else quota.rpm
            self.limiters[model] = Limiter(rpm / 60.0, quota.tpm / 60.0)

        def on_quota(t: float) -> None:
            start = self.limiters[model].reserve(t, tokens)
            self.tally.limit_wait_s += start - now
            self.at(start + median * math.exp(self.rng.gauss(0.0, sigma)), then)

        if setup.shared_limiter:
            on_quota(now)
            return
        own = self.process_limiters.setdefault((model, worker), Limiter(setup.rpm_setting / 60.0))
        if len(self.process_limiters) * setup.rpm_setting > quota.rpm:
            self.tally.over_quota = True  # per-process limiters together let more through than the quota
        self.at(own.reserve(now), on_quota)

    def setup_for(self, model: str) -> GeminiSetup:
        if model not in self.setups:
            function = "DescribeFunction" if model == "gemini-2.5-flash" else "EmbedFunction"
            self.setups[model] = gemini_setup(self.template.function(function).env, self.thinking)
        return self.setups[model]


class PhaseRun:
    """One phase step: its workers (Lambda invocations in a batch loop) sharing the event's photos."""

    def __init__(self, sim: Simulation, step: PhaseStep, now: float, done: Callable[[float], None]) -> None:
        self.sim, self.step, self.started, self.done = sim, step, now, done
        self.spec = sim.template.function(step.function)
        self.per_photo = step.phase in CPU_S_PER_PHOTO
        self.left = sim.photos if self.per_photo else 0
        self.workers_left = step.workers
        self.next_worker = 0
        self.scan_shares = (
            [len(range(i, sim.photos, step.workers)) for i in range(step.workers)] if step.sharded else []
        )

    def start(self) -> None:
        sim, step = self.sim, self.step
        sim.tally.transitions += step.transitions_fixed
        if not self.per_photo:
            self._event_wide()
            return
        begin = self.started
        if step.listed_once:  # one invocation lists the prefix and writes the manifest first
            begin += INVOKE_OVERHEAD_S + COLD_START_S["Zip"] + S3_LIST_S_PER_1000 * sim.photos / 1000
            self._bill(self.started, begin)
            sim.tally.transitions += 1
        for _ in range(min(step.max_concurrency, step.workers)):
            self._launch_worker(begin)

    def _event_wide(self) -> None:
        sim, phase = self.sim, self.step.phase
        cpu = EVENT_CPU_S_PER_PHOTO.get(phase, 0.0) * sim.photos / min(1.0, self.spec.vcpu)
        listing = S3_LIST_S_PER_1000 * sim.photos / 1000 if phase == "sync" else 0.0
        begin = self.started + INVOKE_OVERHEAD_S + COLD_START_S["Image" if self.spec.image else "Zip"]
        end = sim.db.serve(begin + cpu + listing, DB_MS_EVENT.get(phase, 0.0) * sim.photos / 1000)
        self._bill(self.started, end)
        sim.tally.transitions += self.step.transitions_per_batch
        sim.tally.spans[phase] = (self.started, end)
        sim.at(end, self.done)

    def _bill(self, begin: float, end: float) -> None:
        self.sim.tally.gb_s += (end - begin) * self.spec.memory_mb / 1024
        self.sim.tally.invocations += 1

    def _launch_worker(self, now: float) -> None:
        index = self.next_worker
        self.next_worker += 1
        Worker(self, index, now).invoke(now, cold=True)

    def worker_finished(self, now: float) -> None:
        self.workers_left -= 1
        if self.next_worker < self.step.workers:
            self._launch_worker(now)  # a Map item waiting for a free concurrency slot
        elif self.workers_left == 0:
            self.sim.tally.spans[self.step.phase] = (self.started, now)
            self.sim.at(now, self.done)


class Worker:
    """One Map item: invocations of the phase function until it answers done."""

    def __init__(self, run: PhaseRun, index: int, now: float) -> None:
        self.run, self.index = run, index
        self.batches = 0
        self.slots_busy = 0
        self.invocation_start = now
        self.deadline = now
        self.claimed = 0
        self.more = False

    def invoke(self, now: float, cold: bool) -> None:
        run, sim = self.run, self.run.sim
        self.batches += 1
        if self.batches > run.step.max_batches and not sim.tally.failed:
            # The real run fails here (TooManyBatches); the simulation carries on to show how long
            # the work itself would take.
            sim.tally.failed = f"{run.step.phase} needs > {run.step.max_batches} batches: the run fails"
        sim.tally.transitions += run.step.transitions_per_batch
        self.invocation_start = now
        warm_up = INVOKE_OVERHEAD_S + (COLD_START_S["Image" if run.spec.image else "Zip"] if cold else 0.0)
        self.deadline = now + run.spec.timeout_s - BUDGET_MARGIN_S
        begin = now + warm_up
        if run.step.phase == "scan":
            # Each worker lists the prefix, or reads the manifest listed once (~100 bytes a key).
            per_1000 = S3_MANIFEST_S_PER_1000 if run.step.listed_once else S3_LIST_S_PER_1000
            begin += per_1000 * sim.photos / 1000
        threads = 1 if run.step.phase in ONE_AT_A_TIME else run.spec.threads
        self.slots_busy = threads
        for _ in range(threads):
            sim.at(begin, self._next_item)

    def _take(self, count: int) -> int:
        run = self.run
        if run.step.phase == "scan" and run.step.sharded:
            mine = min(count, run.scan_shares[self.index])
            run.scan_shares[self.index] -= mine
            run.left -= mine
            return mine
        if run.step.phase == "scan":
            # Unsharded, every worker registers every object it listed: the same GETs and hashes,
            # racing on the same rows; the last one finishing ends the phase.
            if self.claimed >= run.sim.photos:
                return 0
            mine = min(count, run.sim.photos - self.claimed)
            self.claimed += mine
            run.left = max(0, run.left - mine)
            return mine
        mine = min(count, run.left)
        run.left -= mine
        return mine

    def _work_left(self) -> bool:
        run = self.run
        if run.step.phase == "scan" and run.step.sharded:
            return run.scan_shares[self.index] > 0
        if run.step.phase == "scan":
            return self.claimed < run.sim.photos
        return run.left > 0

    def _next_item(self, now: float) -> None:
        run, sim = self.run, self.run.sim
        phase = run.step.phase
        if now >= self.deadline:
            return self._slot_idle(now, more=True)
        batch = 0
        if phase == "embed":
            from eventlens.pipeline.phases.embed import BATCH

            batch = BATCH
        taken = self._take(batch or 1)
        if taken == 0:
            return self._slot_idle(now, more=False)
        share = min(1.0, run.spec.vcpu / max(1, run.spec.threads))
        local = CPU_S_PER_PHOTO[phase] * taken / share + S3_S_PER_PHOTO[phase] * taken
        # Each shared resource is asked at the moment the photo reaches it (events in time order).
        finish = lambda t: sim.at(sim.db.serve(t, DB_MS_PER_PHOTO[phase] * taken / 1000), self._next_item)  # noqa: E731
        if phase == "describe":
            setup = sim.setup_for("gemini-2.5-flash")
            median, sigma = GEMINI_LATENCY_S["thinking" if setup.thinking_budget is None else "no-thinking"]
            sim.tally.describe_calls += 1

            def call(t):
                return sim.gemini(
                    "gemini-2.5-flash", self.index, DESCRIBE_INPUT_TOKENS, t, median, sigma, finish
                )

            sim.at(now + local, call)
        elif phase == "embed":
            median, sigma = GEMINI_LATENCY_S["embed"]
            sim.tally.embed_calls += 1
            tokens = EMBED_TOKENS_PER_PHOTO * taken
            call = lambda t: sim.gemini("gemini-embedding-001", self.index, tokens, t, median, sigma, finish)  # noqa: E731
            sim.at(now + local, call)
        else:
            sim.at(now + local, finish)
        return None

    def _slot_idle(self, now: float, more: bool) -> None:
        self.slots_busy -= 1
        self.more = self.more or more
        if self.slots_busy:
            return
        run = self.run
        run._bill(self.invocation_start, now)
        if self.more and self._work_left():
            self.more = False
            run.sim.at(now, lambda t: self.invoke(t, cold=False))
            return
        run.sim.tally.transitions += 2  # the worker's last Choice and its "finished" Pass
        run.worker_finished(now)


# ---------------------------------------------------------------- cost


@dataclass
class Result:
    photos: int
    seconds: float
    tally: Tally
    cost: dict[str, float]
    db_utilisation: float


def per_1000(sim: Simulation, seconds: float) -> dict[str, float]:
    t, photos = sim.tally, sim.photos
    setup = sim.setup_for("gemini-2.5-flash")
    thinking = DYNAMIC_THINKING_TOKENS if setup.thinking_budget is None else setup.thinking_budget
    peak_acu = min(
        sim.db_acu, max(0.5, sim.db.busy_s / max(seconds, 1.0) / VCPU_PER_ACU / DB_TARGET_UTILISATION)
    )
    acu_hours = (peak_acu * seconds + peak_acu / 2 * AURORA_SCALE_DOWN_TAIL_S) / 3600
    cost = {
        "Lambda GB-s": t.gb_s * PRICE["lambda_gb_s"] + t.invocations * PRICE["lambda_request"],
        "Step Functions": t.transitions * PRICE["sfn_transition"],
        "Gemini describe": t.describe_calls
        * (
            DESCRIBE_INPUT_TOKENS * PRICE["flash_input_token"]
            + (DESCRIBE_OUTPUT_TOKENS + thinking) * PRICE["flash_output_token"]
        ),
        "  of which thinking": t.describe_calls * thinking * PRICE["flash_output_token"],
        "Gemini embed": photos * EMBED_TOKENS_PER_PHOTO * PRICE["embedding_token"],
        "Aurora ACU": acu_hours * PRICE["acu_hour"],
    }
    scale = 1000 / photos
    return {k: v * scale for k, v in cost.items()}


def idle_monthly(template: Template) -> dict[str, float]:
    """Hourly and monthly charges of the template's resources when no photo flows (storage aside)."""
    out: dict[str, float] = {}
    min_acu = float(template.parameter("DbMinCapacity"))
    clusters = template.resources("AWS::RDS::DBCluster")
    if clusters:
        scaling = clusters[0]["Properties"].get("ServerlessV2ScalingConfiguration", {})
        if min_acu == 0 and "SecondsUntilAutoPause" in scaling:
            pause = template.value(scaling["SecondsUntilAutoPause"])
            out[f"Aurora paused at 0 ACU (after {pause} s idle; storage aside)"] = 0.0
        else:
            out[f"Aurora at DbMinCapacity={min_acu:g} ACU"] = min_acu * PRICE["acu_hour"] * HOURS_PER_MONTH
    if template.resources("AWS::RDS::DBProxy"):
        out["RDS Proxy (8-ACU minimum)"] = 8 * PRICE["proxy_acu_hour"] * HOURS_PER_MONTH
    nats = template.resources("AWS::EC2::NatGateway")
    if nats:
        out[f"NAT gateway x{len(nats)}"] = len(nats) * PRICE["nat_hour"] * HOURS_PER_MONTH
    addresses = template.resources("AWS::EC2::EIP")
    if addresses:
        out[f"public IPv4 address x{len(addresses)}"] = len(addresses) * PRICE["ipv4_hour"] * HOURS_PER_MONTH
    if template.resources("AWS::EC2::EgressOnlyInternetGateway"):
        out["egress-only internet gateway (IPv6; per GB only)"] = 0.0
    interface = [
        r
        for r in template.resources("AWS::EC2::VPCEndpoint")
        if r["Properties"].get("VpcEndpointType") == "Interface"
    ]
    if interface:
        azs = sum(len(r["Properties"].get("SubnetIds", [1, 1])) for r in interface)
        out[f"interface endpoints x{len(interface)}"] = (
            azs * PRICE["interface_endpoint_az_hour"] * HOURS_PER_MONTH
        )
    secrets = template.resources("AWS::SecretsManager::Secret")
    out[f"secrets x{len(secrets)}"] = len(secrets) * PRICE["secret_month"]
    acls = template.resources("AWS::WAFv2::WebACL")
    rules = sum(len(r["Properties"].get("Rules", [])) for r in acls)
    if acls:
        out[f"WAF web ACL + {rules} rules (us-east-1 stacks)"] = (
            len(acls) * PRICE["waf_acl_month"] + rules * PRICE["waf_rule_month"]
        )
    alarms = template.resources("AWS::CloudWatch::Alarm")
    metrics = sum(alarm_metrics(a) for a in alarms)
    out[f"alarms x{len(alarms)} ({metrics} metrics)"] = metrics * PRICE["alarm_month"]
    dashboards = template.resources("AWS::CloudWatch::Dashboard")
    if dashboards:
        out[f"dashboard x{len(dashboards)}"] = len(dashboards) * PRICE["dashboard_month"]
    out.update(scheduled_monthly(template))
    return out


def alarm_metrics(alarm: dict[str, Any]) -> int:
    """Metrics an alarm is billed for: its one metric, or each MetricStat of a metric-math alarm
    (expressions are not metrics)."""
    queries = alarm["Properties"].get("Metrics") or []
    return sum(1 for q in queries if "MetricStat" in q) if queries else 1


def schedules(template: Template) -> dict[str, tuple[str, FunctionSpec, float]]:
    """Each scheduled event of a function: (its function, the function, invocations a month)."""
    found = {}
    for name, resource in template.raw["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event, spec in resource["Properties"].get("Events", {}).items():
            if spec["Type"] not in ("Schedule", "ScheduleV2"):
                continue
            props = spec["Properties"]
            expression = str(props.get("Schedule") or props.get("ScheduleExpression"))
            found[event] = (name, template.function(name), per_month(expression))
    return found


def per_month(expression: str) -> float:
    """Invocations a month of rate(N unit) or a cron that fires once a day."""
    rate = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression)
    if rate:
        every_min = int(rate[1]) * {"minute": 1, "hour": 60, "day": 1440}[rate[2].rstrip("s")]
        return HOURS_PER_MONTH * 60 / every_min
    cron = re.fullmatch(r"cron\((\d+) (\d+) \* \* \? \*\)", expression)
    if cron:
        return HOURS_PER_MONTH / 24
    raise ValueError(f"a schedule the cost model does not read: {expression}")


def scheduled_monthly(template: Template) -> dict[str, float]:
    """What the schedules cost a month while nothing else happens: their Lambda time, and the
    database waking for the ones that connect every time."""
    out: dict[str, float] = {}
    paused = float(template.parameter("DbMinCapacity")) == 0
    for event, (function, spec, count) in schedules(template).items():
        gb_s = count * SCHEDULED_RUN_S * spec.memory_mb / 1024
        label = f"{function} {event} (x{count:,.0f} a month)"
        out[label] = gb_s * PRICE["lambda_gb_s"] + count * PRICE["lambda_request"]
        if paused and event in SCHEDULES_THAT_WAKE_THE_DATABASE:
            pause = float(template.parameter("DbSecondsUntilAutoPause"))
            awake_h = count * (AURORA_RESUME_S + SCHEDULED_RUN_S + pause) / 3600
            out[f"  Aurora woken by {event} ({awake_h:.1f} h at {AURORA_AWAKE_FLOOR_ACU} ACU)"] = (
                awake_h * AURORA_AWAKE_FLOOR_ACU * PRICE["acu_hour"]
            )
    return out


def simulate(
    photos: int,
    *,
    definition: Path | None = None,
    template: Template | None = None,
    seed: int = 13,
    map_workers: str | None = None,
    thinking: int | None = None,
) -> Result:
    template = template or Template.load(TEMPLATE)
    definition = definition or template.definition_path()
    overrides = {"MapWorkers": map_workers} if map_workers else {}
    asl = json.loads(_substitute(definition.read_text(), template.substitutions(overrides)))
    plan = DefinitionReader(asl).plan()
    sim = Simulation(template, photos, seed, map_workers, thinking)
    seconds = sim.run(plan)
    return Result(
        photos, seconds, sim.tally, per_1000(sim, seconds), sim.db.busy_s / (seconds * sim.db.capacity)
    )


def describe_plan(definition: Path, template: Template, map_workers: str | None) -> str:
    overrides = {"MapWorkers": map_workers} if map_workers else {}
    asl = json.loads(_substitute(definition.read_text(), template.substitutions(overrides)))

    def show(steps: list[Step]) -> str:
        parts = []
        for s in steps:
            if isinstance(s, ParallelStep):
                parts.append("[" + " | ".join(show(b) for b in s.branches) + "]")
            else:
                spec = template.function(s.function)
                width = f" x{s.workers}" + (
                    f" (<= {s.max_concurrency} at once)" if s.max_concurrency < s.workers else ""
                )
                shard = ", sharded" if s.sharded and s.phase == "scan" else ""
                shard += ", listed once" if s.listed_once else ""
                parts.append(
                    f"{s.phase}{width if s.workers > 1 else ''} ({spec.memory_mb} MB, {1 if s.phase in ONE_AT_A_TIME else spec.threads} in flight{shard})"
                )
        return " -> ".join(parts)

    return show(DefinitionReader(asl).plan().steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--definition", type=Path, help="default: the template's DefinitionUri")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--map-workers", help="override the template's PipelineWorkers default")
    parser.add_argument("--thinking-budget", type=int, help="override the setting; -1: dynamic thinking")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--idle-baseline",
        default=BASELINE_REV,
        help="git revision whose template.yaml is the 'before' idle cost ('' for none)",
    )
    args = parser.parse_args()
    template = Template.load(args.template)
    args.definition = args.definition or template.definition_path()
    setup = gemini_setup(template.function("DescribeFunction").env, args.thinking_budget)

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"definition: {args.definition.relative_to(ROOT) if args.definition.is_relative_to(ROOT) else args.definition}"
    )
    print(f"plan: {describe_plan(args.definition, template, args.map_workers)}")
    quota = QUOTA["gemini-2.5-flash"]
    print(
        f"Gemini: {'thinking_budget=' + str(setup.thinking_budget) if setup.thinking_budget is not None else 'dynamic thinking'}, "
        f"limiter {'shared by every worker' if setup.shared_limiter else f'per process at {setup.rpm_setting} RPM'}; "
        f"project quota {quota.rpm} RPM / {quota.tpm:,} TPM (assumed Tier 2); "
        f"Aurora max {template.parameter('DbMaxCapacity')} ACU; seed {args.seed}"
    )
    print(f"Lambda vCPU = MemorySize / {MB_PER_VCPU} MB; CPU s/photo measured here: {CPU_S_PER_PHOTO}")
    results = [
        simulate(
            n,
            definition=args.definition,
            template=template,
            seed=args.seed,
            map_workers=args.map_workers,
            thinking=args.thinking_budget,
        )
        for n in args.photos
    ]
    print()
    print(f"{'photos':>8} {'time to gallery':>16} {'Gemini wait':>12} {'DB busy':>8}  slowest phases")
    for r in results:
        spans = sorted(r.tally.spans.items(), key=lambda kv: kv[1][0] - kv[1][1])[:3]
        slow = ", ".join(f"{p} {e - s:.0f}s" for p, (s, e) in spans)
        flag = " (over quota: 429s)" if r.tally.over_quota else ""
        flag += f" ({r.tally.failed})" if r.tally.failed else ""
        print(
            f"{r.photos:>8,} {r.seconds:>10.0f} s {_mmss(r.seconds):>5} {r.tally.limit_wait_s / 3600:>9.1f} h "
            f"{r.db_utilisation:>7.0%}  {slow}{flag}"
        )
    print()
    keys = list(results[0].cost)
    print(f"{'cost per 1,000 photos (USD)':<28}" + "".join(f"{r.photos:>12,}" for r in results))
    for key in keys:
        print(f"{key:<28}" + "".join(f"{r.cost[key]:>12.4f}" for r in results))
    totals = [sum(v for k, v in r.cost.items() if not k.startswith(" ")) for r in results]
    print(f"{'total':<28}" + "".join(f"{t:>12.4f}" for t in totals))
    print()
    print_idle(template, args.idle_baseline)


def baseline_template(rev: str) -> Template | None:
    """template.yaml as it was at `rev` (git), or None where git or the commit is not there."""
    import subprocess
    import tempfile

    try:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:template.yaml"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as out:
        out.write(text)
    try:
        return Template.load(Path(out.name))
    finally:
        Path(out.name).unlink()


def print_idle(template: Template, baseline_rev: str | None) -> None:
    """Idle cost per month, line by line, of `template` and (before) of template.yaml at `baseline_rev`."""
    after = idle_monthly(template)
    before = idle_monthly(base) if baseline_rev and (base := baseline_template(baseline_rev)) else None
    print(f"idle, per month (USD, {IDLE_REGION} prices; storage, logs and per-request charges aside):")
    if before is not None:
        print(f"  {'':<60}{'before':>8}{'after':>8}   (before: template.yaml at {baseline_rev})")
        for key in [*before, *(k for k in after if k not in before)]:
            was = f"{before[key]:>8.2f}" if key in before else f"{'-':>8}"
            now = f"{after[key]:>8.2f}" if key in after else f"{'-':>8}"
            print(f"  {key:<60}{was}{now}")
        print(f"  {'total':<60}{sum(before.values()):>8.2f}{sum(after.values()):>8.2f}")
    else:
        for key, value in after.items():
            print(f"  {key:<60}{value:>8.2f}")
        print(f"  {'total':<60}{sum(after.values()):>8.2f}")
    free = cloudwatch_free_tier(template)
    print(
        f"  {'total where CloudWatch free tier is unused elsewhere':<60}{'':>8}{sum(after.values()) - free:>8.2f}"
        f"   ({FREE_ALARM_METRICS} alarm metrics and {FREE_DASHBOARDS} dashboards a month are free per account)"
    )


FREE_ALARM_METRICS = 10
FREE_DASHBOARDS = 3
"""CloudWatch's always-free tier, per account (aws.amazon.com/cloudwatch/pricing)."""


def cloudwatch_free_tier(template: Template) -> float:
    """What the free tier takes off this stack's alarms and dashboard, were it the account's only user."""
    metrics = sum(alarm_metrics(a) for a in template.resources("AWS::CloudWatch::Alarm"))
    dashboards = len(template.resources("AWS::CloudWatch::Dashboard"))
    return (
        min(metrics, FREE_ALARM_METRICS) * PRICE["alarm_month"]
        + min(dashboards, FREE_DASHBOARDS) * PRICE["dashboard_month"]
    )


def _mmss(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


if __name__ == "__main__":
    main()
