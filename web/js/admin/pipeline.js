/**
 * Pipeline panel: start a full run or one phase, watch per-phase counts while a run is going
 * (polling fast while running, slowly when idle), read the errors and requeue them.
 */
import { h, formatCount, formatDate, plural } from "../lib/dom.js";
import { shows } from "./rights.js";

const FAST_MS = 1500;
const SLOW_MS = 10000;

/** @param {import("./session.js").Session} session @param {(msg: string) => void} toast */
export function mountPipeline(session, toast) {
  const tbody = document.querySelector("#phase-table tbody");
  const totals = document.getElementById("totals");
  const runStatus = document.getElementById("run-status");
  const runsList = document.getElementById("runs");
  const errorsEl = document.getElementById("errors");
  const retry = /** @type {HTMLButtonElement} */ (document.getElementById("retry-errors"));
  const runFull = /** @type {HTMLButtonElement} */ (document.getElementById("run-full"));
  const runPhase = /** @type {HTMLButtonElement} */ (document.getElementById("run-phase"));
  const phaseSelect = /** @type {HTMLSelectElement} */ (document.getElementById("phase-select"));
  let timer = 0;
  let stopped = false;
  let wasRunning = false;
  /** The failed files as last listed, and those a retry put back while its run goes. */
  let listed = [];
  let retrying = { runId: "", items: [] };

  async function start(phase) {
    runFull.disabled = runPhase.disabled = true;
    try {
      const run = await session.admin("/pipeline/runs", { json: { phase } });
      runStatus.textContent = `Started ${phase === "full" ? "the full pipeline" : `phase “${phase}”`}…`;
      wasRunning = true;
      await refresh();
      return run;
    } catch (err) {
      runStatus.textContent = `Could not start: ${err.message}`;
      runFull.disabled = runPhase.disabled = false;
      return null;
    }
  }

  async function refresh() {
    clearTimeout(timer);
    if (stopped) return;
    let running = false;
    try {
      const [state, errs] = await Promise.all([session.admin("/pipeline"), session.admin("/errors")]);
      running = state.runs.some((r) => r.status === "running");
      renderPhases(state.phases, state.phase_names, state.runs);
      renderPhaseChoices(state.phase_names);
      renderRuns(state.runs);
      if (retrying.runId && !state.runs.some((r) => r.id === retrying.runId && r.status === "running")) {
        retrying = { runId: "", items: [] };
      }
      renderErrors(errs.errors);
      runFull.disabled = runPhase.disabled = running;
      if (running) runStatus.textContent = describeRunning(state.runs.find((r) => r.status === "running"));
      else if (wasRunning) {
        const last = state.runs[0];
        runStatus.textContent = last && last.status === "failed"
          ? `Run failed: ${last.error || "see errors below"}` : "Pipeline finished.";
      }
      wasRunning = running;
    } catch (err) {
      if (err.status === 401) return;
      runStatus.textContent = `Could not load pipeline state: ${err.message}`;
    }
    timer = window.setTimeout(refresh, running ? FAST_MS : SLOW_MS);
  }

  /** The phase menu comes from the server's one phase graph, in the order a full run takes them. */
  function renderPhaseChoices(names) {
    if (phaseSelect.options.length === names.length) return;
    const chosen = phaseSelect.value;
    phaseSelect.replaceChildren(...names.map((name) => h("option", { value: name }, name)));
    if (names.includes(chosen)) phaseSelect.value = chosen;
  }

  /** One row per phase of the menu, in run order: per-photo phases with their counts, phases that
   * work on the whole event with what the latest run that took them did. */
  function renderPhases(phases, names, runs) {
    const size = (p) => p.pending + p.processing + p.completed + p.error;
    const counted = new Map(phases.map((p) => [p.phase, p]));
    const lastResult = (name) => {
      for (const r of runs) {
        const found = (r.results || []).find((x) => x.phase === name);
        if (found) return found;
      }
      return null;
    };
    tbody.replaceChildren(...names.map((name) => {
      const p = counted.get(name);
      if (!p) {
        const live = runs.find((r) => r.status === "running")?.progress?.[name];
        if (live) { // a whole-event phase of the running run: its count while it goes (jobs.js)
          return h("tr", { dataset: { phase: name }, class: "event-phase" },
            h("th", { scope: "row" }, name),
            h("td", {}, `whole event · running ${live.done}/${live.total}`),
            h("td", { class: "num muted" }, "—"), h("td", { class: "num muted" }, "—"),
            h("td", { class: "num" }, formatCount(live.done)), h("td", { class: "num muted" }, "—"));
        }
        const last = lastResult(name);
        return h("tr", { dataset: { phase: name }, class: "event-phase" },
          h("th", { scope: "row" }, name),
          h("td", { class: "muted" }, last ? `whole event · last run ${last.done ? "done" : "paused"}` : "whole event · not run yet"),
          h("td", { class: "num muted" }, "—"), h("td", { class: "num muted" }, "—"),
          h("td", { class: "num" }, last ? formatCount(last.processed) : "—"),
          h("td", { class: `num ${last && last.errors ? "is-error" : ""}` }, last ? formatCount(last.errors) : "—"));
      }
      const all = size(p);
      const pct = all ? Math.round((100 * (p.completed + p.error)) / all) : 0;
      return h("tr", { dataset: { phase: p.phase } },
        h("th", { scope: "row" }, p.phase),
        h("td", {}, h("div", { class: "bar", role: "progressbar", "aria-label": `${p.phase} progress`,
          "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct) },
          h("span", { class: "bar-done", style: { width: `${all ? (100 * p.completed) / all : 0}%` } }),
          h("span", { class: "bar-error", style: { width: `${all ? (100 * p.error) / all : 0}%` } })),
          h("span", { class: "pct" }, `${pct}%`)),
        ...["pending", "processing", "completed", "error"].map((k) =>
          h("td", { class: `num ${k === "error" && p.error ? "is-error" : ""}` }, formatCount(p[k]))));
    }));
    // A photo is done when every phase completed it; errors count once per photo and phase.
    const photos = Math.max(0, ...phases.map(size));
    const summary = {
      photos,
      "fully processed": phases.length ? Math.min(...phases.map((p) => p.completed)) : 0,
      processing: phases.reduce((n, p) => n + p.processing, 0),
      errors: phases.reduce((n, p) => n + p.error, 0),
    };
    totals.replaceChildren(...Object.entries(summary).map(([k, n]) =>
      h("div", { class: `total total-${k.replace(" ", "-")}${k === "errors" && n > 0 ? " has-errors" : ""}` },
        h("strong", {}, formatCount(n)), h("span", {}, k))));
  }

  function renderRuns(runs) {
    runsList.replaceChildren(...runs.slice(0, 8).map((r) => h("li", { class: `run run-${r.status}` },
      h("span", { class: "run-badge" }, r.status),
      h("strong", {}, r.phase),
      h("span", { class: "muted" }, formatDate(r.started_at)),
      r.results && r.results.length
        ? h("span", { class: "muted" }, r.results.map((x) => `${x.phase}: ${formatCount(x.processed)}${x.errors ? ` (${x.errors} errors)` : ""}`).join(" · "))
        : null,
      r.error ? h("span", { class: "is-error" }, r.error) : null)));
    if (!runs.length) runsList.replaceChildren(h("li", { class: "muted" }, "No runs yet."));
  }

  /** Each failed photo: its thumbnail when analyze made one, what happened in plain words, the
   * recorded message for staff, Hide/Unhide (an ignored file stays out of the gallery) and Delete
 * (the file and its stored objects go for good, after a confirmation). */
  function renderErrors(failed) {
    listed = failed;
    retry.disabled = failed.length === 0 || Boolean(retrying.runId);
    // a retried file that has not failed again yet is shown being processed, not gone
    const again = new Set(failed.map((e) => `${e.photo_id}:${e.phase}`));
    const errors = [...failed, ...retrying.items.filter((e) => !again.has(`${e.photo_id}:${e.phase}`))
      .map((e) => ({ ...e, retrying: true }))];
    if (!errors.length) {
      errorsEl.replaceChildren(h("p", { class: "muted" }, "No errors."));
      return;
    }
    errorsEl.replaceChildren(h("ul", { class: "error-list" }, errors.map((e) => h("li", {
      class: `error-item${e.hidden ? " is-ignored" : ""}${e.retrying ? " is-retrying" : ""}`,
      dataset: { id: e.photo_id, phase: e.phase },
    },
      e.thumbnail_url
        ? h("img", { class: "error-thumb", src: e.thumbnail_url, alt: "", width: "64", height: "64", loading: "lazy" })
        : h("span", { class: "error-thumb error-thumb-none", "aria-hidden": "true" }, "?"),
      h("div", { class: "error-body" },
        h("p", { class: "error-head" }, h("strong", {}, e.filename), " ", h("span", { class: "run-badge" }, e.phase),
          e.hidden ? h("span", { class: "ignored-badge" }, "Ignored: hidden from the gallery") : null,
          e.retrying ? h("span", { class: "retrying-badge" }, "Retrying…") : null),
        h("p", { class: "error-message" }, e.error),
        h("details", { class: "error-detail" }, h("summary", {}, "Technical detail"), h("code", {}, e.detail))),
      h("button", { type: "button", class: "btn btn-small error-hide",
        "aria-label": `${e.hidden ? "Unhide" : "Hide"} ${e.filename}`,
        onclick: (ev) => setHidden(e, !e.hidden, /** @type {HTMLButtonElement} */ (ev.currentTarget)) },
        e.hidden ? "Unhide" : "Hide"),
      shows(".error-delete") ? h("button", { type: "button", class: "btn btn-small btn-danger error-delete",
        "aria-label": `Delete ${e.filename}`,
        onclick: (ev) => remove(e, /** @type {HTMLButtonElement} */ (ev.currentTarget)) }, "Delete") : null))));
  }

  async function remove(e, button) {
    if (!window.confirm(`Delete ${e.filename} for good? The file is removed from storage; upload it again to bring it back.`)) return;
    button.disabled = true;
    try {
      await session.admin(`/errors/${encodeURIComponent(e.photo_id)}`, { method: "DELETE" });
      toast(`${e.filename} is deleted`);
      await refresh();
    } catch (err) {
      toast(`Could not delete ${e.filename}: ${err.message}`);
      button.disabled = false;
    }
  }

  async function setHidden(e, hidden, button) {
    button.disabled = true;
    try {
      await session.admin(`/photos/${encodeURIComponent(e.photo_id)}`, { method: "PATCH", json: { hidden } });
      toast(hidden ? `${e.filename} is hidden from the gallery` : `${e.filename} is visible again`);
      await refresh();
    } catch (err) {
      toast(`Could not change ${e.filename}: ${err.message}`);
      button.disabled = false;
    }
  }

  runFull.addEventListener("click", () => start("full"));
  runPhase.addEventListener("click", () => start(phaseSelect.value));
  retry.addEventListener("click", async () => {
    retry.disabled = true;
    try {
      const before = listed;
      const { requeued, phases, run } = await session.admin("/retry", { method: "POST", json: {} });
      toast(`${plural(requeued, "photo")} queued again${run ? ", processing started" : ""}`);
      if (run) {
        wasRunning = true;
        retrying = { runId: run.id, items: before };
        runStatus.textContent = `Processing the failed photos again (${phases.join(", ")})…`;
      }
      await refresh();
    } catch (err) {
      toast(`Retry failed: ${err.message}`);
      retry.disabled = false;
    }
  });

  refresh();
  return { stop() { stopped = true; clearTimeout(timer); }, refresh, start };
}

function describeRunning(run) {
  const last = run.results && run.results[run.results.length - 1];
  const where = last ? ` — ${last.phase}: ${formatCount(last.processed)} done, ${formatCount(last.remaining)} left` : "";
  return `Running ${run.phase}${where}`;
}
