/**
 * Multi-select: a set of photo ids that survives tab and search changes, shown in a bar that
 * downloads the chosen originals as one ZIP rather than dozens of files. The server builds the
 * ZIP (POST /download, then GET /archives/<id> for its progress) and the browser downloads it
 * from the URL it hands back: nothing is assembled in the tab's memory, whatever its size.
 */
import { api, eventPath } from "../lib/api.js";
import { h, plural, formatBytes, formatCount } from "../lib/dom.js";
import { downloadCollage, COLLAGE_MAX_PHOTOS } from "./collage.js";

const POLL_FIRST_MS = 300;
const POLL_MAX_MS = 2000;
const GIVE_UP_MS = 20 * 60 * 1000;
/** Photos one ZIP may hold: the server's ARCHIVE_MAX_PHOTOS (media/archives.py). */
export const ARCHIVE_MAX_PHOTOS = 500;

/**
 * The chosen photo ids, kept in sessionStorage under `storageKey` (so a reload or a Back keeps them)
 * and never in the URL: 500 ids would make a link 18 KB long.
 */
export class Selection {
  /** @param {string|null} storageKey */
  constructor(storageKey = null) {
    this.storageKey = storageKey;
    /** @type {Set<string>} */
    this.ids = new Set();
    try {
      const saved = storageKey ? JSON.parse(sessionStorage.getItem(storageKey) || "[]") : [];
      if (Array.isArray(saved)) this.ids = new Set(saved.filter((x) => typeof x === "string"));
    } catch { /* storage refused or garbled: start empty */ }
    /** @type {((id: string|null) => void)[]} */
    this.listeners = [];
  }

  get size() { return this.ids.size; }
  has(id) { return this.ids.has(id); }
  list() { return [...this.ids]; }

  toggle(id) {
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.#emit(id);
  }

  clear() {
    this.ids.clear();
    this.#emit(null);
  }

  /** Adds every id (a shift-click range, "select all"); one notification for all of them. */
  addAll(ids) {
    for (const id of ids) this.ids.add(id);
    this.#emit(null);
  }

  /** @param {(id: string|null) => void} fn called with the changed id, or null for "all" */
  subscribe(fn) { this.listeners.push(fn); }

  #emit(id) {
    if (this.storageKey) {
      try { sessionStorage.setItem(this.storageKey, JSON.stringify([...this.ids])); } catch { /* kept in memory only */ }
    }
    for (const fn of this.listeners) fn(id);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks the server for a ZIP of `ids` and follows it until it is ready; `onProgress` sees each
 * state ({status, done, total, bytes_done, bytes_total}). Resolves to the ready archive (its `url`).
 * @param {string} slug @param {string[]} ids @param {(archive: any) => void} onProgress
 */
export async function prepareArchive(slug, ids, onProgress) {
  let archive = await api(`${eventPath(slug)}/download`, { json: { ids } });
  const started = Date.now();
  let wait = POLL_FIRST_MS;
  while (archive.status === "pending" || archive.status === "building") {
    onProgress(archive);
    if (Date.now() - started > GIVE_UP_MS) throw new Error("it is taking too long; try fewer photos");
    await sleep(wait);
    wait = Math.min(POLL_MAX_MS, wait * 1.5);
    archive = await api(`${eventPath(slug)}/archives/${encodeURIComponent(archive.archive_id)}`);
  }
  if (archive.status !== "ready") throw new Error(archive.error || "the download could not be prepared");
  onProgress(archive);
  return archive;
}

/** What the button and the bar's progress say while the server builds the ZIP. */
function progressText(archive) {
  if (archive.status === "pending") return "Preparing ZIP…";
  const photos = `${archive.done} of ${plural(archive.total, "photo")}`;
  return archive.bytes_total > 0
    ? `Preparing ZIP… ${photos} (${formatBytes(archive.bytes_done)} of ${formatBytes(archive.bytes_total)})`
    : `Preparing ZIP… ${photos}`;
}

/** The browser downloads the ZIP itself, from its URL (an attachment): it never passes through script. */
function downloadFrom(url, filename) {
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
}

/**
 * Has the server build a ZIP of `ids` and downloads it, showing its progress on `button` (and a
 * progress bar after it). More than a ZIP may hold is refused here, in words, before any request.
 * @param {string} slug @param {string[]} ids @param {HTMLButtonElement} button @param {(msg: string) => void} toast
 */
export async function downloadPhotos(slug, ids, button, toast) {
  if (ids.length > ARCHIVE_MAX_PHOTOS) {
    toast(tooMany(ids.length));
    return;
  }
  if (button.disabled || ids.length === 0) return;
  button.disabled = true;
  const label = [...button.childNodes];
  const meter = h("progress", { class: "selection-progress", "aria-label": "ZIP being prepared" });
  button.after(meter);
  const show = (archive) => {
    button.textContent = progressText(archive);
    if (archive.status === "pending") {
      meter.removeAttribute("value");  // indeterminate until a builder starts
    } else {
      meter.max = Math.max(1, archive.total);
      meter.value = archive.done;
    }
  };
  try {
    const archive = await prepareArchive(slug, ids, show);
    downloadFrom(archive.url, `${slug}-photos.zip`);
    const skipped = ids.length - archive.photo_count;
    toast(`Downloading ${plural(archive.photo_count, "photo")}` + (skipped > 0 ? ` (${skipped} no longer available)` : ""));
  } catch (err) {
    toast(`Download failed: ${err.message}`);
  } finally {
    meter.remove();
    button.disabled = false;
    button.replaceChildren(...label);
    button.focus();
  }
}

/** The limit in plain words, with what to do about it. */
export function tooMany(n) {
  return `A ZIP holds at most ${formatCount(ARCHIVE_MAX_PHOTOS)} photos and ${formatCount(n)} are chosen: `
    + `download them in parts of up to ${formatCount(ARCHIVE_MAX_PHOTOS)}, e.g. one folder at a time.`;
}

/**
 * Wires the selection bar: count, "Download selected", "Collage" (2 to 36 photos) and "Clear".
 * @param {Selection} selection @param {string} slug @param {(msg: string) => void} toast
 */
export function mountSelectionBar(selection, slug, toast) {
  const bar = document.getElementById("selection-bar");
  const count = document.getElementById("selection-count");
  const limit = document.getElementById("selection-limit");
  const download = /** @type {HTMLButtonElement} */ (document.getElementById("selection-download"));
  const clear = document.getElementById("selection-clear");
  const collage = /** @type {HTMLButtonElement} */ (document.getElementById("selection-collage"));

  const render = () => {
    bar.hidden = selection.size === 0;
    count.textContent = `${formatCount(selection.size)} selected`;
    const over = selection.size > ARCHIVE_MAX_PHOTOS;
    limit.hidden = !over;
    collage.hidden = selection.size < 2 || selection.size > COLLAGE_MAX_PHOTOS;
    limit.textContent = over ? `At most ${formatCount(ARCHIVE_MAX_PHOTOS)} per download: deselect ${formatCount(selection.size - ARCHIVE_MAX_PHOTOS)}` : "";
  };
  selection.subscribe(render);
  render();

  clear.addEventListener("click", () => selection.clear());
  download.addEventListener("click", () => downloadPhotos(slug, selection.list(), download, toast));
  collage.addEventListener("click", () => downloadCollage(slug, selection.list(), collage, toast));
}
