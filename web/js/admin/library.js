/**
 * Library panel: the event's videos as staff see them (GET …/admin/videos: hidden, locked and
 * invalid ones too), filtered by validity, codec and category, with each one's probe, transcode
 * state and engagement counters, and Lock (with a reason) / Unlock (…/admin/media/<id>/lock).
 * Its own module, mounted on first view like the other panels.
 */
import { eventSlug, qs } from "../lib/api.js";
import { h, formatCount, formatDate } from "../lib/dom.js";
import { shows } from "./rights.js";

const PAGE = 50;
const COUNTERS = [["view_count", "views"], ["upvote_count", "upvotes"], ["reaction_count", "reactions"],
  ["comment_count", "comments"], ["finish_count", "finishes"]];

/** @param {import("./session.js").Session} session @param {(msg: string) => void} toast */
export function mountLibrary(session, toast) {
  const form = /** @type {HTMLFormElement} */ (document.getElementById("library-filters"));
  const valid = /** @type {HTMLSelectElement} */ (document.getElementById("library-valid"));
  const codec = /** @type {HTMLSelectElement} */ (document.getElementById("library-codec"));
  const category = /** @type {HTMLSelectElement} */ (document.getElementById("library-category"));
  const totals = document.getElementById("library-totals");
  const body = document.querySelector("#library-table tbody");
  const more = /** @type {HTMLButtonElement} */ (document.getElementById("library-more"));
  /** Codecs and categories seen so far: the filters' choices (the route filters by exact value). */
  const seen = { codec: new Set(), category: new Set() };
  let items = [];

  form.addEventListener("change", () => refresh());
  more.addEventListener("click", () => load(items.length));

  async function refresh() { await load(0); }

  async function load(offset) {
    let page;
    try {
      page = await session.admin(`/videos${qs({ valid: valid.value, codec: codec.value, tag: category.value,
        limit: PAGE, offset })}`);
    } catch (err) {
      if (err.status !== 401) toast(`Could not load the library: ${err.message}`);
      return;
    }
    items = offset ? items.concat(page.items) : page.items;
    more.hidden = !page.pagination.has_more;
    for (const v of page.items) {
      if (v.video_codec) seen.codec.add(v.video_codec);
      if (v.auto_tag) seen.category.add(v.auto_tag);
    }
    fill(codec, seen.codec, "Any codec");
    fill(category, seen.category, "Any category");
    show();
  }

  function fill(select, values, anyLabel) {
    const current = select.value;
    select.replaceChildren(h("option", { value: "" }, anyLabel),
      ...[...values].sort().map((v) => h("option", { value: v }, v)));
    select.value = current;
  }

  function show() {
    const sum = (key) => items.reduce((n, v) => n + (v[key] || 0), 0);
    const watched = sum("watch_time_s");
    totals.replaceChildren(...[["videos", formatCount(items.length)],
      ...COUNTERS.slice(0, 4).map(([key, label]) => [label, formatCount(sum(key))]),
      ["watched", `${formatCount(Math.round(watched / 60))} min`]].map(([k, n]) =>
      h("div", { class: "total" }, h("strong", {}, n), h("span", {}, k))));
    body.replaceChildren(...items.map(row));
    if (!items.length) body.replaceChildren(h("tr", {}, h("td", { colspan: "7", class: "muted" }, "No videos match.")));
  }

  function row(v) {
    const player = `/video.html${qs({ event: eventSlug(), id: v.id })}`;
    const validity = v.is_valid === false ? `Invalid: ${v.invalid_reason || "unreadable"}`
      : v.is_valid ? "Valid" : "Not checked yet";
    return h("tr", { dataset: { id: v.id } },
      h("td", {}, h("a", { href: player }, v.filename),
        v.original_filename !== v.filename ? h("div", { class: "muted" }, `Imported as ${v.original_filename}`) : null),
      h("td", {}, [v.quality, v.duration_s == null ? null : `${v.duration_s.toFixed(1)} s`,
        v.frame_rate ? `${Math.round(v.frame_rate)} fps` : null].filter(Boolean).join(" · ")),
      h("td", {}, [v.video_codec, v.audio_codec || "no audio"].filter(Boolean).join(" / "),
        h("div", { class: "muted" }, `Transcode: ${v.transcode_status.replace("_", " ")}`)),
      h("td", {}, validity, v.validated_at ? h("div", { class: "muted" }, formatDate(v.validated_at)) : null),
      h("td", {}, v.auto_tag || "—"),
      h("td", { class: "num" }, COUNTERS.map(([key, label]) => `${formatCount(v[key])} ${label}`).join(", ")),
      h("td", {}, lockCell(v)));
  }

  function lockCell(v) {
    const may = shows(".library-lock");
    if (v.locked) {
      return h("div", {}, h("span", {}, `Locked: ${v.locked_reason || ""}`),
        may ? h("button", { type: "button", class: "btn btn-small library-lock", "aria-label": `Unlock ${v.filename}`,
          onclick: () => lock(v, false, null) }, "Unlock") : null);
    }
    if (!may) return h("span", { class: "muted" }, "Open");
    const reason = h("input", { type: "text", maxlength: "500", placeholder: "Reason",
      "aria-label": `Reason to lock ${v.filename}` });
    return h("div", { class: "lock-cell" }, reason,
      h("button", { type: "button", class: "btn btn-small library-lock", "aria-label": `Lock ${v.filename}`,
        onclick: () => lock(v, true, /** @type {HTMLInputElement} */ (reason).value.trim()) }, "Lock"));
  }

  async function lock(v, on, reason) {
    if (on && !reason) { toast("Say why the video is locked (the reason is kept with it)."); return; }
    let updated;
    try {
      updated = await session.admin(`/media/${encodeURIComponent(v.id)}/lock`,
        on ? { method: "POST", json: { reason } } : { method: "DELETE" });
    } catch (err) {
      if (err.status !== 401) toast(`Could not ${on ? "lock" : "unlock"} ${v.filename}: ${err.message}`);
      return;
    }
    items = items.map((x) => (x.id === v.id ? { ...x, ...updated } : x));
    show();
    toast(on ? `${v.filename} is locked: out of the public gallery.` : `${v.filename} is unlocked.`);
  }

  return { refresh };
}
