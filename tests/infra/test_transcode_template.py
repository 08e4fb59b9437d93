"""Long transcodes and reels on AWS are wired as the transcode step and compilations/service.py
expect: one image function in the ML image (PyAV) with a whole Lambda's time, invoked by the state
machine and (asynchronously, never retried) by the admin function, and by nothing else."""

from __future__ import annotations

from typing import Any

from eventlens.pipeline.phases import transcode
from eventlens.storage.keys import originals_prefix, playable_key

from tests.infra.iam import Names, statements

BUCKET = "eventlens-media"


def _allows(function: str, action: str, resource: str) -> bool:
    return any(s.allows(action, resource) for s in statements(function, Names(BUCKET)))


def test_the_transcode_function_runs_in_the_ml_image_with_a_whole_invocation(
    resources: dict[str, Any],
) -> None:
    props = resources["TranscodeFunction"]["Properties"]
    analyze = resources["AnalyzeFunction"]

    assert props["PackageType"] == "Image"
    assert props["ImageConfig"]["Command"] == ["app.transcode_handler"]
    image = {k: v for k, v in resources["TranscodeFunction"]["Metadata"].items() if k != "checkov"}
    assert image == {k: v for k, v in analyze["Metadata"].items() if k != "checkov"}  # the same image
    assert (props["Timeout"], props["MemorySize"]) == (900, analyze["Properties"]["MemorySize"])
    assert props["Timeout"] * 1000 > transcode.RESERVE_MS
    assert props["EventInvokeConfig"]["MaximumRetryAttempts"] == 0  # a second build claims nothing


def test_the_admin_function_invokes_the_transcode_function_only(resources: dict[str, Any]) -> None:
    env = resources["AdminFunction"]["Properties"]["Environment"]["Variables"]
    names = Names(BUCKET)

    assert env["EVENTLENS_COMPILATION_FUNCTION"] == {"Fn::GetAtt": ["TranscodeFunction", "Arn"]}
    assert _allows("AdminFunction", "lambda:InvokeFunction", names.function_arn("TranscodeFunction"))
    for other in ("AnalyzeFunction", "MatchFunction", "ArchiveFunction"):
        assert not _allows("AdminFunction", "lambda:InvokeFunction", names.function_arn(other)), other


def test_the_state_machine_runs_the_transcode_step_on_the_transcode_function(
    resources: dict[str, Any],
) -> None:
    props = resources["PipelineStateMachine"]["Properties"]

    assert props["DefinitionSubstitutions"]["TranscodeFunctionArn"] == {
        "Fn::GetAtt": ["TranscodeFunction", "Arn"]
    }
    assert {"LambdaInvokePolicy": {"FunctionName": {"Ref": "TranscodeFunction"}}} in props["Policies"]


def test_the_transcode_function_reads_and_writes_event_objects_and_invokes_nothing(
    resources: dict[str, Any],
) -> None:
    names = Names(BUCKET)
    original = f"arn:aws:s3:::{BUCKET}/{originals_prefix('demo')}Talks/keynote.mp4"
    rendition = f"arn:aws:s3:::{BUCKET}/{playable_key('demo', 'x')}"

    assert _allows("TranscodeFunction", "s3:GetObject", original)
    assert _allows("TranscodeFunction", "s3:PutObject", rendition)
    assert _allows("TranscodeFunction", "s3:PutObject", original)  # a reel is stored among the originals
    assert not _allows("TranscodeFunction", "s3:DeleteObject", original)
    assert not _allows("TranscodeFunction", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/system/x")
    assert not _allows("TranscodeFunction", "lambda:InvokeFunction", names.function_arn("TranscodeFunction"))
