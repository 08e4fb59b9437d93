"""`eventlens`: the embedded mode's command line.

Every command that reports data has `--json`, whose shape is stable: the same models the HTTP
API returns (README, "Command line"). Commands act as the operator (`system`), the pipeline, or,
for search and match, as a visitor would see the gallery.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from eventlens.errors import DomainError
from eventlens.pipeline.graph import PHASES


def _echo_json(data: Any) -> None:
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    elif dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = dataclasses.asdict(data)
    click.echo(json.dumps(data, indent=2, default=str))


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="eventlens")
def main() -> None:
    """EventLens: find yourself in event photos, search them in plain words.

    Data lives in $EVENTLENS_HOME (default ./.eventlens): an embedded PostgreSQL and the blobs,
    unless DATABASE_URL points at another server.
    """


# -- database -------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (safe to run any number of times)."""
    from eventlens.db.migrate import upgrade

    applied = upgrade()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


# -- events ---------------------------------------------------------------------------------


@main.group()
def event() -> None:
    """Create and list events."""


@event.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name of the event.")
@click.option("--password", help="Organizer password (prompted when omitted on a terminal).")
@click.option("--no-face-matching", is_flag=True, help="Turn 'find me' off for this event.")
@click.option(
    "--org", "organization", default="default", show_default=True, help="The organization it belongs to."
)
@click.option("--private", is_flag=True, help="Only its members see the gallery.")
@click.option("--json", "as_json", is_flag=True, help="Print the event as JSON.")
def event_create(
    slug: str,
    name: str,
    password: str | None,
    no_face_matching: bool,
    organization: str,
    private: bool,
    as_json: bool,
) -> None:
    """Create the event SLUG with an organizer password."""
    from eventlens.db.migrate import upgrade
    from eventlens.events.service import create_event

    password = password or os.environ.get("EVENTLENS_ORGANIZER_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            _fail("give --password (or EVENTLENS_ORGANIZER_PASSWORD): no terminal to prompt on")
        password = click.prompt("Organizer password", hide_input=True, confirmation_prompt=True)
    upgrade()
    try:
        created = create_event(
            slug,
            name,
            password=password,
            organization=organization,
            visibility="private" if private else "public",
            face_matching=not no_face_matching,
        )
    except DomainError as error:
        _fail(error.message)
    if as_json:
        _echo_json(created)
    else:
        click.echo(f"created event {created.slug} ({created.name})")


@event.command("list")
@click.option("--json", "as_json", is_flag=True)
def event_list(as_json: bool) -> None:
    """List events."""
    from eventlens.db.migrate import upgrade
    from eventlens.events.service import list_events

    upgrade()
    found = list_events()
    if as_json:
        _echo_json([e.model_dump(mode="json") for e in found])
    for item in [] if as_json else found:
        click.echo(f"{item.slug}\t{item.name}")


# -- organizations, people and grants ------------------------------------------------------


@main.group()
def org() -> None:
    """Organizations: who owns events."""


@org.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--json", "as_json", is_flag=True)
def org_create(slug: str, name: str, as_json: bool) -> None:
    """Create the organization SLUG."""
    from eventlens.db.migrate import upgrade
    from eventlens.orgs.service import create_organization
    from eventlens.scope import Scope

    upgrade()
    try:
        created = create_organization(Scope("system", None, "cli", "cli"), slug, name)
    except DomainError as error:
        _fail(error.message)
    _echo_json(created) if as_json else click.echo(f"created organization {created.slug} ({created.name})")


@org.command("list")
@click.option("--json", "as_json", is_flag=True)
def org_list(as_json: bool) -> None:
    from eventlens.db.migrate import upgrade
    from eventlens.orgs.service import list_organizations

    upgrade()
    found = list_organizations()
    if as_json:
        _echo_json([o.model_dump(mode="json") for o in found])
    for item in [] if as_json else found:
        click.echo(f"{item.slug}\t{item.name}")


@main.group()
def user() -> None:
    """People's accounts."""


@user.command("create")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--password", help="A password (else the person signs in with a mailed link).")
@click.option("--json", "as_json", is_flag=True)
def user_create(email: str, name: str, password: str | None, as_json: bool) -> None:
    """Create a verified account for EMAIL."""
    from eventlens.accounts.service import create_person
    from eventlens.db.migrate import upgrade

    upgrade()
    try:
        person = create_person(email, name, password or os.environ.get("EVENTLENS_USER_PASSWORD"))
    except DomainError as error:
        _fail(error.message)
    _echo_json(person) if as_json else click.echo(f"created account {person.email}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
def user_list(as_json: bool) -> None:
    from eventlens.accounts.service import list_people
    from eventlens.db.migrate import upgrade

    upgrade()
    found = list_people()
    if as_json:
        _echo_json([p.model_dump(mode="json") for p in found])
    for item in [] if as_json else found:
        click.echo(f"{item.email}\t{item.display_name}")


def _grant_place(event_slug: str | None, org_slug: str | None, installation: bool) -> tuple[Any, Any]:
    from eventlens.events.service import get_event
    from eventlens.orgs.service import get_organization

    if sum(bool(x) for x in (event_slug, org_slug, installation)) != 1:
        _fail("name exactly one of --event, --org, --installation")
    if event_slug:
        return None, get_event(event_slug).id
    if org_slug:
        return get_organization(org_slug).id, None
    return None, None


@main.command("grant")
@click.argument("role")
@click.argument("email")
@click.option("--event", "event_slug", help="For this event.")
@click.option("--org", "org_slug", help="For this organization (all its events).")
@click.option("--installation", is_flag=True, help="SUPER_ADMIN of the installation.")
def grant(role: str, email: str, event_slug: str | None, org_slug: str | None, installation: bool) -> None:
    """Give EMAIL's account ROLE (VIEWER, MEMBER, CONTRIBUTOR, EDITOR, ADMIN, SUPER_ADMIN)."""
    from eventlens.access.members import operator_grant
    from eventlens.access.service import role_named
    from eventlens.db.migrate import upgrade

    upgrade()
    try:
        organization_id, event_id = _grant_place(event_slug, org_slug, installation)
        operator_grant(email, role_named(role), organization_id, event_id)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"{email} is {role.upper()} of {event_slug or org_slug or 'the installation'}")


@main.command("revoke")
@click.argument("email")
@click.option("--event", "event_slug")
@click.option("--org", "org_slug")
@click.option("--installation", is_flag=True)
def revoke(email: str, event_slug: str | None, org_slug: str | None, installation: bool) -> None:
    """Take EMAIL's role there away."""
    from eventlens.access.members import operator_revoke
    from eventlens.db.migrate import upgrade

    upgrade()
    try:
        organization_id, event_id = _grant_place(event_slug, org_slug, installation)
        before = operator_revoke(email, organization_id, event_id)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"{email} was {before} there; no longer" if before else f"{email} held no role there")


# -- audit ----------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The audit log: export it, check its hash chain."""


@audit.command("export")
@click.option("--event", "slug", help="Only this event's entries.")
def audit_export(slug: str | None) -> None:
    """Every entry, oldest first, as JSON lines (each with its hash, to keep elsewhere)."""
    from eventlens.audit.service import export
    from eventlens.scope import Scope

    scope = (Scope.system(_event(slug)) if slug else Scope.system()).coming_from("cli")
    if not slug:
        from eventlens.db.migrate import upgrade

        upgrade()
    for entry in export(scope):
        if slug is None or entry.event_id == scope.event_id:
            click.echo(entry.model_dump_json())


@audit.command("verify")
def audit_verify() -> None:
    """Recompute every entry's hash and link; exit 1 naming each entry that was changed or removed."""
    from eventlens.audit.service import verify
    from eventlens.db.migrate import upgrade
    from eventlens.scope import Scope

    upgrade()
    result = verify(Scope.system().coming_from("cli"))
    for problem in result.problems:
        click.echo(f"entry {problem.seq}: {problem.problem}", err=True)
    if not result.intact:
        sys.exit(1)
    click.echo(f"audit log intact: {result.entries} entries")


def _event(slug: str) -> Any:
    from eventlens.db.migrate import upgrade
    from eventlens.errors import EventNotFound
    from eventlens.events.service import get_event

    upgrade()
    try:
        return get_event(slug)
    except EventNotFound:
        _fail(f"no event {slug!r}: create it with `eventlens event create {slug} --name ...`")


def _scope(slug: str, actor: str) -> Any:
    """The command's scope: the operator (`system`), the pipeline, or a visitor's view of the gallery."""
    from eventlens.scope import Scope

    return Scope(actor, _event(slug))  # type: ignore[arg-type]


# -- ingest and pipeline --------------------------------------------------------------------


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--event", "slug", required=True, help="Event slug.")
@click.option("--json", "as_json", is_flag=True)
def ingest(path: Path, slug: str, as_json: bool) -> None:
    """Copy the photos and videos under PATH into the event (exact re-imports are skipped)."""
    from tqdm import tqdm

    from eventlens.sources.service import import_files

    target = _scope(slug, "pipeline")
    with tqdm(unit="file", desc="ingest", disable=as_json, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = import_files(target, [path], on_progress=progress)
    if as_json:
        _echo_json(report)
    else:
        click.echo(
            f"added {report.added}, skipped {report.skipped} already imported,"
            f" {len(report.ignored)} ignored, {len(report.errors)} errors"
        )
        for line in (*report.ignored, *report.errors):
            click.echo(f"  {line}", err=True)


@main.group()
def drive() -> None:
    """An event's Google Drive folder as its source (synced by the pipeline's sync phase)."""


@drive.command("add")
@click.argument("folder_id")
@click.option("--event", "slug", required=True, help="Event slug.")
@click.option(
    "--credentials",
    required=True,
    help="A service-account (or OAuth authorized-user) JSON file, or a Secrets Manager ARN holding one.",
)
@click.option("--json", "as_json", is_flag=True)
def drive_add(folder_id: str, slug: str, credentials: str, as_json: bool) -> None:
    """Point the event at the Drive folder FOLDER_ID (the id in the folder's URL) and its subfolders."""
    from eventlens.sources.drive.service import add_drive_source

    try:
        source = add_drive_source(_scope(slug, "system"), folder_id, credentials)
    except DomainError as error:
        _fail(str(error))
    if as_json:
        _echo_json(source)
    else:
        click.echo(f"event {slug} now follows Drive folder {source.folder_id}: run `eventlens pipeline run`")


@drive.command("sync")
@click.option("--event", "slug", required=True, help="Event slug.")
@click.option("--json", "as_json", is_flag=True)
def drive_sync(slug: str, as_json: bool) -> None:
    """Bring the event's photos in step with its Drive folder now (the pipeline's sync phase does too)."""
    from eventlens.sources.drive.service import sync_drive
    from eventlens.storage import blob_store

    report = sync_drive(_scope(slug, "pipeline"), blob_store())
    if report is None:
        _fail(
            f"event {slug} has no Drive source: add one with `eventlens drive add FOLDER_ID --event {slug} ...`"
        )
        return
    if as_json:
        _echo_json(report)
    elif report.busy:
        click.echo("another sync of this folder is running: nothing done")
    else:
        click.echo(
            f"{report.files} files: added {report.added}, updated {report.updated}, moved {report.moved},"
            f" removed {report.removed}, unchanged {report.unchanged}, skipped {len(report.skipped)},"
            f" {len(report.ignored)} ignored, {len(report.errors)} errors"
        )
        for line in (*report.skipped, *report.ignored, *report.errors):
            click.echo(f"  {line}", err=True)
    if report.error is not None:
        _fail(report.error)


# -- live folders ----------------------------------------------------------------------------


@main.group()
def sources() -> None:
    """An event's live folder (a local folder or an S3 bucket/prefix), followed where it is."""


@sources.command("add")
@click.argument("location")
@click.option("--event", "slug", required=True, help="Event slug.")
@click.option("--json", "as_json", is_flag=True)
def sources_add(location: str, slug: str, as_json: bool) -> None:
    """Follow LOCATION (a folder path, or s3://bucket/prefix) as the event's live folder."""
    from eventlens.sources.live.service import add_live_source

    try:
        source = add_live_source(_scope(slug, "system"), location)
    except DomainError as error:
        _fail(str(error))
    if as_json:
        _echo_json(source)
    else:
        click.echo(f"event {slug} now follows {source.location}: run `eventlens sources sync --event {slug}`")


@sources.command("list")
@click.option("--json", "as_json", is_flag=True)
def sources_list(as_json: bool) -> None:
    """Every event's live folder and Google Drive folder."""
    from eventlens.db.migrate import upgrade
    from eventlens.errors import DriveSourceNotFound, LiveSourceNotFound
    from eventlens.events.service import list_events
    from eventlens.scope import Scope
    from eventlens.sources.drive.service import drive_source
    from eventlens.sources.live.service import live_source

    upgrade()
    found: list[dict[str, Any]] = []
    for item in list_events():
        scope = Scope.system(item)
        try:
            live = live_source(scope)
            found.append(
                {
                    "event": item.slug,
                    "kind": "live",
                    "location": live.location,
                    "synced_at": live.synced_at,
                    "error": live.error,
                }
            )
        except LiveSourceNotFound:
            pass
        try:
            drive = drive_source(scope)
            found.append(
                {
                    "event": item.slug,
                    "kind": "drive",
                    "location": drive.folder_id,
                    "synced_at": drive.synced_at,
                    "error": drive.error,
                }
            )
        except DriveSourceNotFound:
            pass
    if as_json:
        _echo_json(found)
        return
    for row in found:
        synced = row["synced_at"].isoformat(timespec="seconds") if row["synced_at"] else "never synced"
        error = f"\t{row['error']}" if row["error"] else ""
        click.echo(f"{row['event']}\t{row['kind']}\t{row['location']}\t{synced}{error}")


def _sync_line(report: Any) -> str:
    return (
        f"{report.files} files: added {report.added}, renamed {report.renamed}, moved {report.moved},"
        f" modified {report.modified}, removed {report.removed}, unchanged {report.unchanged},"
        f" {len(report.ignored)} ignored, {len(report.errors)} errors ({report.read} read)"
    )


@sources.command("sync")
@click.option("--event", "slug", required=True, help="Event slug.")
@click.option("--rehash", is_flag=True, help="Read every file, not only those whose size or mtime changed.")
@click.option("--json", "as_json", is_flag=True)
def sources_sync(slug: str, rehash: bool, as_json: bool) -> None:
    """Bring the event's photos in step with its live folder now (the pipeline's sync phase does too)."""
    from eventlens.sources.live.service import sync_live
    from eventlens.storage import blob_store

    report = sync_live(_scope(slug, "pipeline"), blob_store(), rehash=rehash)
    if report is None:
        _fail(f"event {slug} has no live folder: add one with `eventlens sources add PATH --event {slug}`")
        return
    if as_json:
        _echo_json(report)
    elif report.busy:
        click.echo("another sync of this folder is running: nothing done")
    else:
        click.echo(_sync_line(report))
        for line in (*report.ignored, *report.errors):
            click.echo(f"  {line}", err=True)
    if report.error is not None:
        _fail(report.error)


@sources.command("watch")
@click.option("--event", "slug", required=True, help="Event slug.")
@click.option(
    "--interval", "interval_s", type=float, default=10.0, show_default=True, help="Seconds between syncs."
)
@click.option("--rounds", type=int, default=0, help="Stop after this many syncs (0: until interrupted).")
@click.option("--no-process", is_flag=True, help="Only sync; leave processing to `eventlens pipeline run`.")
def sources_watch(slug: str, interval_s: float, rounds: int, no_process: bool) -> None:
    """Follow the event's live folder: sync every INTERVAL seconds (polling) and, after a change,
    run the pipeline so new and changed photos reach the gallery."""
    from eventlens.errors import LiveSourceNotFound
    from eventlens.pipeline import runner
    from eventlens.sources.live.service import watch
    from eventlens.storage import blob_store

    target = _scope(slug, "pipeline")

    def on_round(report: Any) -> None:
        stamp = time.strftime("%H:%M:%S")
        if report.error is not None or report.busy:
            click.echo(f"{stamp} {report.error or 'another sync is running'}", err=True)
            return
        click.echo(f"{stamp} {_sync_line(report)}")
        if report.changed and not no_process:
            results = runner.run_pipeline(target.tenant(), "full")
            left = sum(r["remaining"] for r in results)
            click.echo(f"{stamp} processed: {'done' if left == 0 else f'{left} left for the next round'}")

    click.echo(f"watching event {slug}'s live folder every {interval_s:g}s (Ctrl-C stops)", err=True)
    try:
        watch(target, blob_store(), interval_s, on_round, rounds)
    except LiveSourceNotFound as error:
        _fail(str(error))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@main.group()
def pipeline() -> None:
    """Run the processing pipeline."""


@pipeline.command("run")
@click.option("--event", "slug", required=True)
@click.option("--phase", type=click.Choice(["full", *PHASES]), default="full", show_default=True)
@click.option("--retry-errors", is_flag=True, help="Re-queue failed photos first.")
@click.option("--json", "as_json", is_flag=True, help="Print the phase results as JSON.")
def pipeline_run(slug: str, phase: str, retry_errors: bool, as_json: bool) -> None:
    """Run every phase in order (or one), resuming where an earlier run stopped; the dashboard
    lists the run."""
    from eventlens.jobs.service import run_recorded
    from eventlens.pipeline import runner

    target = _scope(slug, "pipeline")
    if retry_errors:
        count = runner.retry_errors(target).items
        if not as_json:
            click.echo(f"re-queued {count} failed photos")
    started = time.monotonic()
    with _ProgressBars(disabled=as_json) as bars:
        results = run_recorded(target, phase, on_progress=bars.update)
    if as_json:
        _echo_json({"event": slug, "phase": phase, "results": results})
        return
    for result in results:
        state = "done" if result["done"] else "paused"
        click.echo(
            f"{result['phase']:<9} {state:<6} processed {result['processed']:>6}  "
            f"errors {result['errors']:>4}  remaining {result['remaining']:>6}"
        )
    paused = next((r for r in results if not r["done"]), None)
    click.echo(
        f"paused in {paused['phase']}: run again to resume"
        if paused
        else f"pipeline finished in {time.monotonic() - started:.1f}s"
    )


@main.group()
def jobs() -> None:
    """List and steer jobs: pipeline runs (queued, running, closed)."""


def _job_line(job: Any) -> str:
    where = f"  #{job.queue_position} {job.waiting_reason}" if job.queue_position else ""
    done = ", ".join(f"{p} {v.done}/{v.total}" for p, v in job.progress.items())
    return f"{job.id}  {job.kind:<8} {job.phase:<8} {job.status:<9} prio {job.priority:>3}  {done}{where}"


def _job_call(fn: Any, slug: str, *args: Any) -> Any:
    try:
        return fn(_scope(slug, "system"), *args)
    except DomainError as error:
        _fail(error.message)


@jobs.command("list")
@click.option("--event", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def jobs_list(slug: str, as_json: bool) -> None:
    """Queued jobs in the order they will start, then running and closed ones."""
    from eventlens.jobs.service import list_jobs

    listed = _job_call(list_jobs, slug)
    if as_json:
        _echo_json(listed)
        return
    for job in listed.jobs:
        click.echo(_job_line(job))


@jobs.command("show")
@click.argument("job_id")
@click.option("--event", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def jobs_show(job_id: str, slug: str, as_json: bool) -> None:
    """One job with its log lines."""
    from eventlens.jobs.service import get_job

    job = _job_call(get_job, slug, job_id)
    if as_json:
        _echo_json(job)
        return
    click.echo(_job_line(job))
    for line in job.log:
        click.echo(f"  {line}")


@jobs.command("cancel")
@click.argument("job_id")
@click.option("--event", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def jobs_cancel(job_id: str, slug: str, as_json: bool) -> None:
    """Cancel a job: queued, at once; running, at its next slice (on AWS its execution stops)."""
    from eventlens.jobs.service import cancel_job

    job = _job_call(cancel_job, slug, job_id)
    _echo_json(job) if as_json else click.echo(_job_line(job))


@jobs.command("retry")
@click.argument("job_id")
@click.option("--event", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def jobs_retry(job_id: str, slug: str, as_json: bool) -> None:
    """Run a closed job again as a new job (here, until it ends; on AWS, as an execution)."""
    from eventlens.config import settings
    from eventlens.jobs.service import retry_job, retry_job_here

    if settings().state_machine_arn:
        job = _job_call(retry_job, slug, job_id)
    else:
        with _ProgressBars(disabled=as_json) as bars:
            job = _job_call(retry_job_here, slug, job_id, bars.update)
    _echo_json(job) if as_json else click.echo(_job_line(job))


@jobs.command("priority")
@click.argument("job_id")
@click.argument("priority", type=click.IntRange(-100, 100))
@click.option("--event", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def jobs_priority(job_id: str, priority: int, slug: str, as_json: bool) -> None:
    """Re-prioritise a job: the higher starts first among the event's queued jobs."""
    from eventlens.jobs.service import set_priority

    job = _job_call(set_priority, slug, job_id, priority)
    _echo_json(job) if as_json else click.echo(_job_line(job))


class _ProgressBars:
    """One tqdm bar per phase (done/total, rate, ETA), on stderr."""

    def __init__(self, disabled: bool) -> None:
        self.disabled = disabled
        self.bars: dict[str, Any] = {}

    def update(self, phase: str, done: int, total: int) -> None:
        if self.disabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(phase)
        if bar is None:
            for previous in self.bars.values():
                previous.close()  # one live bar at a time: phases run in order
            bar = self.bars[phase] = tqdm(total=total, desc=f"{phase:<9}", unit="photo", file=sys.stderr)
        if total != bar.total:
            bar.total = total
        bar.update(done - bar.n)

    def __enter__(self) -> _ProgressBars:
        return self

    def __exit__(self, *exc: object) -> None:
        for bar in self.bars.values():
            bar.close()


# -- search ---------------------------------------------------------------------------------


@main.command()
@click.argument("query")
@click.option("--event", "slug", required=True)
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def search(query: str, slug: str, limit: int, as_json: bool) -> None:
    """Hybrid search: full text, typos, meaning."""
    from eventlens.db.photos import PhotoFilter
    from eventlens.search.service import search_photos

    response = search_photos(_scope(slug, "visitor"), query, PhotoFilter(), limit=limit)
    if as_json:
        _echo_json(response)
        return
    for hit in response.results:
        click.echo(f"{hit.score:7.3f}  {hit.photo.filename:<40} {','.join(hit.modalities)}")
    click.echo(f"{response.total} results")


@main.command()
@click.argument("selfie", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--event", "slug", required=True)
@click.option("--query", "-q", help="Also match this text (photos of me with ...).")
@click.option("--json", "as_json", is_flag=True)
def match(selfie: Path, slug: str, query: str | None, as_json: bool) -> None:
    """Find the photos the person in SELFIE appears in (the selfie is not stored)."""
    from eventlens.findme.service import find_me

    try:
        response = find_me(_scope(slug, "visitor"), selfie.read_bytes(), query=query)
    except DomainError as error:
        _fail(error.message)
    if as_json:
        _echo_json(response)
        return
    for item in response.matches:
        click.echo(f"{item.confidence:5.1f}%  {item.photo.filename}")
    click.echo(response.message or f"{len(response.matches)} photos")


@main.command()
@click.option("--event", "slug", required=True)
@click.option(
    "--near-duplicate-distance",
    type=click.IntRange(0, 32),
    help="Largest dHash Hamming distance between near duplicates (default: the event's setting).",
)
@click.option("--json", "as_json", is_flag=True)
def duplicates(slug: str, near_duplicate_distance: int | None, as_json: bool) -> None:
    """Near duplicate clusters, and the files that held the same bytes as a photo."""
    from eventlens.dedupe.service import duplicate_clusters
    from eventlens.storage.keys import originals_prefix

    result = duplicate_clusters(_scope(slug, "system"), near_duplicate_distance)
    if as_json:
        _echo_json(result)
        return
    for cluster in result.clusters:
        click.echo(
            f"{cluster.duplicate_kind:<5} {cluster.cluster_id}: "
            + ", ".join(p.filename for p in cluster.photos)
        )
    prefix = originals_prefix(slug)
    for copies in result.exact_copies:
        photo = "/".join(part for part in (copies.photo.folder, copies.photo.filename) if part)
        click.echo(f"exact {photo} = " + ", ".join(key.removeprefix(prefix) for key in copies.aliases))
    click.echo(f"{len(result.clusters)} clusters, {len(result.exact_copies)} photos with exact copies")


# -- mail -----------------------------------------------------------------------------------


@main.command("mail")
@click.option(
    "--show", type=click.IntRange(min=1), metavar="N", help="Print mail N of the listing (1 = newest)."
)
@click.option("--last", is_flag=True, help="Print the newest mail.")
@click.option("--clear", is_flag=True, help="Delete every mail in the outbox.")
@click.option("--json", "as_json", is_flag=True)
def mail(show: int | None, last: bool, clear: bool, as_json: bool) -> None:
    """The outbox: mails kept under $EVENTLENS_HOME/outbox when no SMTP server is set.

    Lists them newest first; --show N or --last prints one with its link, to open sign-in,
    verification and invitation links on this machine (docs/mail.md).
    """
    from eventlens.config import settings
    from eventlens.mail import outbox

    if sum((show is not None, last, clear)) > 1:
        _fail("give one of --show, --last, --clear")
    cfg = settings()
    if cfg.smtp_host:
        click.echo(
            f"mail goes to {cfg.smtp_host} (EVENTLENS_SMTP_HOST); this outbox keeps older mail", err=True
        )
    if clear:
        click.echo(f"deleted {outbox.clear(cfg.outbox_dir)} mail(s)")
        return
    found = outbox.entries(cfg.outbox_dir)
    if show is not None or last:
        n = show or 1
        if n > len(found):
            _fail(f"no mail {n}: the outbox holds {len(found)}")
        entry = found[n - 1]
        if as_json:
            _echo_json({**_mail_json(entry), "text": entry.text()})
            return
        click.echo(f"To: {entry.to}\nDate: {entry.time:%Y-%m-%d %H:%M:%S} UTC\nSubject: {entry.subject}")
        click.echo(f"File: {entry.path}\n\n{entry.text().rstrip()}")
        return
    if as_json:
        _echo_json([_mail_json(entry) for entry in found])
        return
    if not found:
        click.echo(f"no mail in {cfg.outbox_dir}")
    for entry in found:
        click.echo(f"{entry.n:>3}  {entry.time:%Y-%m-%d %H:%M:%S}  {entry.to}  {entry.subject}")


def _mail_json(entry: Any) -> dict[str, Any]:
    return {
        "n": entry.n,
        "time": entry.time.isoformat(),
        "to": entry.to,
        "subject": entry.subject,
        "kind": entry.kind,
        "link": entry.link,
        "path": str(entry.path),
    }


# -- serving --------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, help="0 picks a free port.")
def serve(host: str, port: int) -> None:
    """Serve the gallery, the dashboard and the API locally."""
    from eventlens.db.migrate import upgrade

    upgrade()
    _serve(host, port)


def _serve(host: str, port: int, on_ready: Any = None) -> None:
    from eventlens.db import close_pool
    from eventlens.db.embedded import stop_all
    from eventlens.devserver import make_server
    from eventlens.findme.service import purge_periodically

    server = make_server(host, port)
    stop_purge = threading.Event()  # find-me face templates are forgotten on schedule (docs/security.md)
    threading.Thread(target=purge_periodically, args=(stop_purge,), name="find-me-purge", daemon=True).start()
    bound = server.server_address[1]
    click.echo(f"EventLens is serving on http://{host}:{bound}/  (Ctrl-C stops it)", err=False)
    from eventlens.firstrun.service import issue_code

    code = issue_code()  # a new installation: only who sees this terminal may set it up
    if code is not None:
        click.echo(f"First run: open http://{host}:{bound}/ and enter the setup code {code}")
    if on_ready:
        on_ready(f"http://{host}:{bound}")
    sys.stdout.flush()

    def _terminate(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _terminate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop_purge.set()
        server.server_close()
        close_pool()
        stop_all()  # fast, checkpointed shutdown: committed data is already on disk
        click.echo("stopped")


@main.command()
@click.option("--port", default=8000, show_default=True, help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--password", help="Organizer password for the demo event (default: random, printed).")
@click.option("--no-serve", is_flag=True, help="Build the demo event and exit.")
def demo(port: int, host: str, password: str | None, no_serve: bool) -> None:
    """Create the demo event from sample photos, run the pipeline, serve the gallery."""
    from eventlens.auth.service import set_password
    from eventlens.config import settings
    from eventlens.db.migrate import upgrade
    from eventlens.demo import demo_photos, demo_videos
    from eventlens.errors import EventNotFound
    from eventlens.events.service import create_event, get_event
    from eventlens.jobs.service import run_recorded
    from eventlens.scope import Scope
    from eventlens.sources.service import import_files

    upgrade()
    password = password or os.environ.get("EVENTLENS_ORGANIZER_PASSWORD") or secrets.token_urlsafe(9)
    try:
        target = get_event("demo")
        set_password(Scope.system(target), password)
    except EventNotFound:
        target = create_event("demo", "EventLens Demo Day", password=password)
    folder = demo_videos(demo_photos(settings().home / "demo-photos"))
    report = import_files(Scope.pipeline(target), [folder])
    click.echo(f"demo event: {report.added} photos added, {report.skipped} already there")
    with _ProgressBars(disabled=False) as bars:  # recorded: the dashboard lists the demo's own run
        results = run_recorded(Scope.pipeline(target), "full", on_progress=bars.update)
    errors = sum(r["errors"] for r in results)
    click.echo(f"pipeline: {len(results)} phases, {errors} photo errors")
    if no_serve:
        return

    def ready(url: str) -> None:
        click.echo(f"gallery:   {url}/e/demo")
        click.echo(f"dashboard: {url}/e/demo/admin   (organizer password: {password})")

    _serve(host, port, on_ready=ready)


# -- engagement -----------------------------------------------------------------------------


@main.group()
def engagement() -> None:
    """Views, upvotes, reactions, comments, watch time: their counters."""


@engagement.command("reconcile")
@click.option("--event", "slug", help="One event (default: every event).")
@click.option("--repair", is_flag=True, help="Set drifted counters to the recomputed values.")
@click.option("--json", "as_json", is_flag=True)
def engagement_reconcile(slug: str | None, repair: bool, as_json: bool) -> None:
    """Recompute every item's counters from the event tables; report (and with --repair fix) drift.
    Exits 1 when drift was found and left unrepaired."""
    from eventlens.db.migrate import upgrade
    from eventlens.engagement.service import reconcile
    from eventlens.events.service import list_events
    from eventlens.scope import Scope

    upgrade()
    targets = [_event(slug)] if slug else list_events()
    reports = [reconcile(Scope.system(event), repair) for event in targets]
    if as_json:
        _echo_json([r.model_dump(mode="json") for r in reports])
    else:
        for report in reports:
            click.echo(f"{report.event}: {report.items_checked} items, {len(report.drift)} drifted counters")
            for d in report.drift:
                click.echo(f"  {d.photo_id} {d.counter}: stored {d.stored:g}, recomputed {d.recomputed:g}")
    if not repair and any(r.drift for r in reports):
        sys.exit(1)


# -- video ----------------------------------------------------------------------------------


@main.group()
def video() -> None:
    """The video library: browser-playable renditions."""


@video.command("transcode")
@click.option("--event", "slug", required=True, help="Event slug.")
@click.option("--retry", is_flag=True, help="Also retry videos whose transcode failed.")
@click.option("--budget-s", default=840.0, show_default=True, help="Stop taking videos after this.")
@click.option("--json", "as_json", is_flag=True)
def video_transcode(slug: str, retry: bool, budget_s: float, as_json: bool) -> None:
    """Transcode the event's videos that wait for a browser-playable MP4 (the analyze phase does
    videos up to two minutes itself; this job takes the rest, and the retried ones)."""
    from eventlens.pipeline.phases.transcode import retry_failed, run
    from eventlens.resilience import WallClockGuard
    from eventlens.scope import Scope
    from eventlens.storage import blob_store

    scope = Scope.pipeline(_event(slug))
    if retry:
        retry_failed(scope)
    report = run(scope, blob_store(), WallClockGuard(budget_s * 1000))
    if as_json:
        _echo_json(report)
    else:
        click.echo(
            f"transcoded {report.processed} videos ({report.errors} failed), {report.remaining} waiting"
        )


@main.group()
def compilations() -> None:
    """Highlight reels made from an event's videos (the API's twin, as the operator)."""


def _clip(text: str) -> Any:
    """`ID@IN-OUT` (seconds) or a bare `ID` (the whole video) as a clip."""
    from uuid import UUID

    from eventlens.compilations.views import Clip

    ident, _, trim = text.partition("@")
    try:
        start, _, end = trim.partition("-")
        photo_id = UUID(ident)
        if not trim:
            return photo_id
        return Clip(photo_id=photo_id, in_s=float(start), out_s=float(end))
    except ValueError:
        _fail(f"--clip {text!r}: give ID@IN-OUT in seconds, e.g. {UUID(int=0)}@1.5-4")


@compilations.command("create")
@click.option("--event", "slug", required=True, help="Event slug.")
@click.option("--title", required=True, help="The title card's text (and the reel's file name).")
@click.option("--clip", "clips", multiple=True, required=True, help="ID@IN-OUT in seconds, in reel order.")
@click.option("--title-card-s", default=2.0, show_default=True, type=float)
@click.option("--fps", default=25, show_default=True, type=click.Choice(["24", "25", "30"]))
@click.option("--size", default=None, help="WIDTHxHEIGHT (default: the first clip's).")
@click.option("--json", "as_json", is_flag=True)
def compilations_create(
    slug: str,
    title: str,
    clips: tuple[str, ...],
    title_card_s: float,
    fps: str,
    size: str | None,
    as_json: bool,
) -> None:
    """Record a reel and build it here (PyAV): the title card, then each clip's trim, in order."""
    from uuid import UUID

    from eventlens.compilations import service
    from eventlens.compilations.views import Clip
    from eventlens.errors import DomainError

    scope = _scope(slug, "system")
    parsed = [_clip(c) for c in clips]
    if any(isinstance(c, UUID) for c in parsed):  # a bare id: the whole video
        from eventlens.engagement.service import get_item

        parsed = [
            Clip(photo_id=c, in_s=0, out_s=get_item(scope, c).duration_s or 0) if isinstance(c, UUID) else c
            for c in parsed
        ]
    dims = None
    if size is not None:
        width, _, height = size.lower().partition("x")
        if not (width.isdigit() and height.isdigit()):
            _fail(f"--size {size!r}: give WIDTHxHEIGHT, e.g. 1280x720")
        dims = (int(width), int(height))
    try:
        created = service.create_compilation(
            scope, title, parsed, title_card_s=title_card_s, fps=int(fps), size=dims, start=False
        )
    except DomainError as exc:
        _fail(exc.message)
    outcome = service.build_compilation(scope.tenant().id, created.compilation_id)
    made = service.get_compilation(scope, created.compilation_id)
    if as_json:
        _echo_json(made)
    else:
        click.echo(f"{made.compilation_id} {outcome}: {made.title} ({made.duration_s:.2f} s)")
        if made.error:
            click.echo(f"  {made.error}")
        if made.player_url:
            click.echo(f"  play: {made.player_url}")
    if outcome == "failed":
        sys.exit(1)


@compilations.command("list")
@click.option("--event", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def compilations_list(slug: str, as_json: bool) -> None:
    """The event's compilations, newest first: state, length, clips."""
    from eventlens.compilations import service

    found = service.list_compilations(_scope(slug, "system"))
    if as_json:
        _echo_json(found)
        return
    for c in found.compilations:
        click.echo(
            f"{c.compilation_id}  {c.status:<8} {c.duration_s:7.2f} s  {len(c.clips):>2} clips  {c.title}"
        )


@compilations.command("build")
@click.option("--event", "slug", required=True)
@click.option("--budget-s", default=840.0, show_default=True, help="Stop taking reels after this.")
def compilations_build(slug: str, budget_s: float) -> None:
    """Build the event's waiting reels (pending, or left by a builder that died)."""
    from eventlens.compilations import service
    from eventlens.resilience import WallClockGuard

    done = service.build_waiting(_event(slug), WallClockGuard(budget_s * 1000))
    for compilation_id, outcome in done:
        click.echo(f"{compilation_id} {outcome}")
    click.echo(f"{len(done)} compilations built")


# -- albums and subjects (issue 15) -------------------------------------------------------------


@main.group()
def albums() -> None:
    """Albums: the list, the review queue, decisions (as the operator)."""


@albums.command("list")
@click.option("--event", "slug", required=True)
@click.option("--sort", type=click.Choice(["score", "count", "recent"]), default="score", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def albums_list(slug: str, sort: str, as_json: bool) -> None:
    """The event's albums: by Bayesian score, rating count or date (the API's order)."""
    from eventlens.albums import service

    found = service.list_albums(_scope(slug, "system"), sort, 200)
    if as_json:
        _echo_json(found)
        return
    for album in found.albums:
        average = "-" if album.rating_average is None else f"{album.rating_average:.2f}"
        click.echo(
            f"{album.id}  {album.rating_score:.3f}  {average:>4} x{album.rating_count:<5}"
            f" {album.contribution_policy:<11} {album.title}"
        )
    click.echo(f"{len(found.albums)} albums")


@albums.command("review")
@click.option("--event", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def albums_review(slug: str, as_json: bool) -> None:
    """Album items pending or held, oldest first."""
    from eventlens.albums import service

    queue = service.review_queue(_scope(slug, "system"))
    if as_json:
        _echo_json(queue)
        return
    for item in queue.items:
        click.echo(f"{item.id}  {item.status:<8} held={item.held!s:<5} {item.reason}")
    click.echo(f"{len(queue.items)} items to review")


@albums.command("decide")
@click.argument("item_id", type=click.UUID)
@click.option("--event", "slug", required=True)
@click.option("--approve/--reject", "approve", required=True)
@click.option("--reason", default="", help="Told to the contributor.")
def albums_decide(item_id: Any, slug: str, approve: bool, reason: str) -> None:
    """Approve or reject one album item (audited)."""
    from eventlens.albums import service

    item = service.decide_item(_scope(slug, "system"), item_id, "approved" if approve else "rejected", reason)
    click.echo(f"{item.id} {item.status}")


@albums.command("similar")
@click.argument("item_id", type=click.UUID)
@click.option("--album", "album_id", type=click.UUID, required=True)
@click.option("--event", "slug", required=True)
@click.option("--limit", default=12, show_default=True, type=click.IntRange(1, 50))
@click.option("--json", "as_json", is_flag=True)
def albums_similar(item_id: Any, album_id: Any, slug: str, limit: int, as_json: bool) -> None:
    """More like this item: the event's album items and gallery photos nearest it by description."""
    from eventlens.albums import service

    try:
        found = service.more_like_this(_scope(slug, "system"), album_id, item_id, limit)
    except DomainError as error:
        _fail(error.message)
    if as_json:
        _echo_json(found)
        return
    for item in found.items:
        click.echo(f"item   {item.id}  album {item.album_id}")
    for photo in found.photos:
        click.echo(f"photo  {photo.id}")
    click.echo(f"{len(found.items)} items, {len(found.photos)} photos")


@albums.command("tags")
@click.argument("item_id", type=click.UUID)
@click.option("--album", "album_id", type=click.UUID, required=True)
@click.option("--event", "slug", required=True)
def albums_tags(item_id: Any, album_id: Any, slug: str) -> None:
    """An item's tags, one a line."""
    from eventlens.albums import service

    try:
        found = service.item_tags(_scope(slug, "system"), album_id, item_id)
    except DomainError as error:
        _fail(error.message)
    for tag in found:
        click.echo(tag)


@albums.command("tag")
@click.argument("item_id", type=click.UUID)
@click.argument("tag")
@click.option("--album", "album_id", type=click.UUID, required=True)
@click.option("--event", "slug", required=True)
def albums_tag(item_id: Any, tag: str, album_id: Any, slug: str) -> None:
    """Tag an item (as the operator); prints the item's tags after it."""
    from eventlens.albums import service

    try:
        found = service.tag_item(_scope(slug, "system"), album_id, item_id, tag)
    except DomainError as error:
        _fail(error.message)
    click.echo(" ".join(found))


@albums.command("untag")
@click.argument("item_id", type=click.UUID)
@click.argument("tag")
@click.option("--album", "album_id", type=click.UUID, required=True)
@click.option("--event", "slug", required=True)
def albums_untag(item_id: Any, tag: str, album_id: Any, slug: str) -> None:
    """Remove a tag from an item (as the operator, a moderator)."""
    from eventlens.albums import service

    try:
        service.untag_item(_scope(slug, "system"), album_id, item_id, tag)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"{item_id} untagged {tag}")


@albums.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--album", "album_id", type=click.UUID, required=True)
@click.option("--event", "slug", required=True)
@click.option(
    "--max-parts",
    type=click.IntRange(1),
    help="Send at most this many parts now and stop (run the command again to continue).",
)
@click.option("--json", "as_json", is_flag=True)
def albums_upload(file: Path, album_id: Any, slug: str, max_parts: int | None, as_json: bool) -> None:
    """Upload FILE into an album as the operator, in parts (the API's resumable upload, each part
    stored straight into the event's store): run again after an interruption and it continues from
    the parts already stored. The photo then passes the moderation gate like any upload."""
    import mimetypes

    from eventlens.albums import service
    from eventlens.albums.views import UploadPart
    from eventlens.errors import UploadRejected
    from eventlens.storage import blob_store

    scope = _scope(slug, "system")
    store = blob_store()
    size = file.stat().st_size
    state = _upload_state(slug, album_id, file)
    mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    try:
        ticket = None
        if state.exists():
            saved = json.loads(state.read_text())
            try:
                ticket = service.resume_multipart(scope, album_id, saved["key"], saved["upload_id"], size)
            except UploadRejected:
                ticket = None  # aborted or expired: start again
        if ticket is None:
            ticket = service.start_multipart(scope, album_id, file.name, mime, size)
            state.parent.mkdir(parents=True, exist_ok=True)
            state.write_text(json.dumps({"key": ticket.key, "upload_id": ticket.upload_id}))
        parts = {p.number: p.etag for p in ticket.done}
        if ticket.done:
            click.echo(
                f"resuming: {len(ticket.done)} of {len(ticket.done) + len(ticket.parts)} parts stored",
                err=True,
            )
        with file.open("rb") as source:
            for sent, part in enumerate(ticket.parts):
                if max_parts is not None and sent >= max_parts:
                    click.echo(f"stopped after {sent} parts: run the command again to continue", err=True)
                    return
                source.seek((part.number - 1) * ticket.part_size)
                parts[part.number] = store.put_part(
                    ticket.key, ticket.upload_id, part.number, source.read(ticket.part_size)
                )
        item = service.complete_multipart(
            scope,
            album_id,
            ticket.key,
            ticket.upload_id,
            [UploadPart(number=n, etag=e) for n, e in sorted(parts.items())],
        )
    except DomainError as error:
        _fail(error.message)
    state.unlink(missing_ok=True)
    if as_json:
        _echo_json(item)
        return
    click.echo(f"{item.id} {item.status}: {item.reason}")


def _upload_state(slug: str, album_id: Any, file: Path) -> Path:
    """Where an unfinished upload of FILE into the album is remembered (its key and upload id):
    under $XDG_CACHE_HOME/eventlens/uploads, named after the event, album, path, size and mtime."""
    import hashlib

    stat = file.stat()
    name = hashlib.sha256(
        f"{slug}\0{album_id}\0{file.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
    ).hexdigest()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "eventlens" / "uploads" / f"{name}.json"


@main.group()
def subjects() -> None:
    """Subjects: what the organization's photos depict."""


@subjects.command("list")
@click.option("--event", "slug", required=True, help="Any event of the organization.")
def subjects_list(slug: str) -> None:
    from eventlens.subjects import service

    for subject in service.list_subjects(_scope(slug, "system")).subjects:
        click.echo(f"{subject.id}  {subject.kind:<12} {subject.name}")


@subjects.command("create")
@click.argument("name")
@click.option("--event", "slug", required=True, help="Any event of the organization.")
@click.option(
    "--kind", type=click.Choice(["person", "organization", "place", "session", "event"]), required=True
)
def subjects_create(name: str, slug: str, kind: str) -> None:
    from eventlens.subjects import service

    made = service.create_subject(_scope(slug, "system"), kind, name)
    click.echo(f"{made.id}  {made.kind} {made.name}")


# -- people in photos, crews, consent and control over face data (issue 17; docs/privacy.md) -----


@main.command("face-clusters")
@click.option("--event", "slug", required=True)
@click.option("--hidden", is_flag=True, help="Also the people an organizer hid.")
@click.option("--json", "as_json", is_flag=True)
def face_clusters(slug: str, hidden: bool, as_json: bool) -> None:
    """The people in an event's photos (face clusters), most photographed first."""
    from eventlens.faceclusters.service import list_clusters

    result = list_clusters(_scope(slug, "system"), with_hidden=hidden)
    if as_json:
        _echo_json(result)
        return
    for person in result.face_clusters:
        click.echo(
            f"{person.id}  {person.photos:4d} photos  {person.name or '(unnamed)'}{'  hidden' if person.hidden else ''}"
        )


@main.command("crews")
@click.option("--event", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def crews(slug: str, as_json: bool) -> None:
    """The event's crews: people photographed together (Louvain on Jaccard weights)."""
    from eventlens.faceclusters.service import list_crews

    result = list_crews(_scope(slug, "system"))
    if as_json:
        _echo_json(result)
        return
    for n, crew in enumerate(result.crews, 1):
        click.echo(
            f"crew {n}: "
            + ", ".join(
                name or str(member)[:8] for member, name in zip(crew.members, crew.names, strict=True)
            )
        )


@main.command("face-control")
@click.argument("kind", type=click.Choice(["hide", "forget"]))
@click.argument("selfie", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--event", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def face_control(kind: str, selfie: Path, slug: str, as_json: bool) -> None:
    """Hide or forget the person in SELFIE, on their request to the operator (audited)."""
    from eventlens.findme.control import control_me

    try:
        result = control_me(_scope(slug, "visitor"), selfie.read_bytes(), kind)  # type: ignore[arg-type]
    except DomainError as error:
        _fail(error.message)
    if as_json:
        _echo_json(result)
        return
    click.echo(result.message)


@main.command("purge-face-data")
@click.option("--event", "slug", help="Only this event (default: every event whose purge is due).")
@click.option("--now", type=click.DateTime(), help="Act as if it were this UTC time (default: now).")
def purge_face_data(slug: str | None, now: Any) -> None:
    """The retention job: purge each event's face data once its retention period has passed."""
    from datetime import UTC

    from eventlens.events.service import get_event
    from eventlens.findme.control import purge_face_data as purge

    purged = purge(now=now.replace(tzinfo=UTC) if now else None, event=get_event(slug) if slug else None)
    for event_slug, faces in purged.items():
        click.echo(f"{event_slug}: {faces} face embeddings purged")
    click.echo(f"{len(purged)} event{'s' if len(purged) != 1 else ''} purged")


if __name__ == "__main__":
    main()
