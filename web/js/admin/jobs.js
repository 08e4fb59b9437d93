/**
 * Jobs panel: the event's jobs (GET …/admin/jobs): queued ones in the order they will start, with
 * their position and why they wait, then the running one with its progress per phase, then the
 * closed ones. Cancel, Retry and the priority (± buttons) are for roles with pipeline.run. While a
 * job is queued or running the panel re-reads every POLL_MS, so progress is live.
 */
import { h, formatDate } from "../lib/dom.js";
import { shows } from "./rights.js";

const POLL_MS = 1500;

/** @param {import("./session.js").Session} session @param {(msg: string) => void} toast */
export function mountJobs(session, toast) {
  const panel = document.getElementById("panel-jobs");
  const body = document.querySelector("#jobs-table tbody");
  document.getElementById("jobs-refresh").addEventListener("click", () => refresh());
  /** @type {number | undefined} */
  let timer;

  async function act(path, opts, done) {
    try {
      await session.admin(path, opts);
      toast(done);
    } catch (err) {
      if (err.status !== 401) toast(err.message);
    }
    refresh();
  }

  function progress(job) {
    const phases = Object.entries(job.progress || {});
    if (!phases.length) return job.status === "queued" ? "—" : "";
    return h("ul", { class: "job-progress" }, ...phases.map(([phase, p]) =>
      h("li", { "data-phase": phase }, `${phase} ${p.done}/${p.total}`)));
  }

  function buttons(job) {
    if (!shows(".job-steer")) return null;
    const id = encodeURIComponent(job.id);
    const closed = ["completed", "failed", "cancelled"].includes(job.status);
    const wrap = h("span", { class: "job-steer" });
    if (!closed) {
      wrap.append(
        h("button", { type: "button", class: "btn btn-small job-cancel", onclick: () =>
          act(`/jobs/${id}/cancel`, { method: "POST" }, "Cancel asked: the job stops at its next step.") }, "Cancel"),
        h("button", { type: "button", class: "btn btn-small job-up", "aria-label": "Raise priority", onclick: () =>
          act(`/jobs/${id}`, { method: "PATCH", json: { priority: Math.min(100, job.priority + 1) } }, "Priority raised") }, "▲"),
        h("button", { type: "button", class: "btn btn-small job-down", "aria-label": "Lower priority", onclick: () =>
          act(`/jobs/${id}`, { method: "PATCH", json: { priority: Math.max(-100, job.priority - 1) } }, "Priority lowered") }, "▼"));
    } else if (job.kind === "pipeline") {
      wrap.append(h("button", { type: "button", class: "btn btn-small job-retry", onclick: () =>
        act(`/jobs/${id}/retry`, { method: "POST" }, "Started again as a new job") }, "Retry"));
    }
    return wrap;
  }

  function row(job) {
    const waiting = job.queue_position ? `#${job.queue_position}: ${job.waiting_reason}` : "";
    return h("tr", { class: `job run-${job.status}`, "data-job": job.id },
      h("td", {}, job.kind, h("br"), h("span", { class: "muted" }, job.phase)),
      h("td", {}, h("span", { class: "run-badge job-status" }, job.status), waiting ? h("div", { class: "muted job-waiting" }, waiting) : null),
      h("td", {}, progress(job)),
      h("td", { class: "num job-priority" }, String(job.priority)),
      h("td", {}, job.resource_class),
      h("td", {}, job.started_at ? formatDate(job.started_at) : "—", job.finished_at ? h("br") : null,
        job.finished_at ? formatDate(job.finished_at) : null),
      h("td", {}, job.execution_arn ? h("code", { class: "job-execution" }, job.execution_arn.split(":").pop()) : "", job.log.length
        ? h("details", {}, h("summary", {}, "Log"), h("pre", { class: "job-log" }, job.log.join("\n"))) : null),
      h("td", {}, buttons(job)));
  }

  async function refresh() {
    clearTimeout(timer);
    let data;
    try {
      data = await session.admin("/jobs");
    } catch (err) {
      if (err.status !== 401) toast(`Could not load jobs: ${err.message}`);
      return;
    }
    body.replaceChildren(...data.jobs.map(row));
    if (!data.jobs.length) body.replaceChildren(h("tr", {}, h("td", { colspan: "8", class: "muted" }, "No jobs yet.")));
    const live = data.jobs.some((j) => j.status === "queued" || j.status === "running");
    if (live && !panel.hidden) timer = window.setTimeout(refresh, POLL_MS);
  }

  return { refresh };
}
