/**
 * Multi-select: a set of photo ids that survives tab and search changes, shown in a bar that
 * downloads the chosen originals as one ZIP rather than dozens of files. The server builds the
 * ZIP (POST /download, then GET /archives/<id> for its progress) and the browser downloads it
 * from the URL it hands back: nothing is assembled in the tab's memory, whatever its size.
 */
import { api, eventPath } from "../lib/api.js";
import { h, plural, formatBytes } from "../lib/dom.js";

const POLL_FIRST_MS = 300;
const POLL_MAX_MS = 2000;
const GIVE_UP_MS = 20 * 60 * 1000;

export class Selection {
  /** @param {string[]} ids */
  constructor(ids = []) {
    this.ids = new Set(ids);
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

  /** @param {(id: string|null) => void} fn called with the changed id, or null for "all" */
  subscribe(fn) { this.listeners.push(fn); }

  #emit(id) { for (const fn of this.listeners) fn(id); }
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
 * Wires the selection bar: count, "Download selected" and "Clear".
 * @param {Selection} selection @param {string} slug @param {(msg: string) => void} toast
 */
export function mountSelectionBar(selection, slug, toast) {
  const bar = document.getElementById("selection-bar");
  const count = document.getElementById("selection-count");
  const download = /** @type {HTMLButtonElement} */ (document.getElementById("selection-download"));
  const clear = document.getElementById("selection-clear");

  const render = () => {
    bar.hidden = selection.size === 0;
    count.textContent = `${plural(selection.size, "photo")} selected`;
  };
  selection.subscribe(render);
  render();

  clear.addEventListener("click", () => selection.clear());
  download.addEventListener("click", async () => {
    download.disabled = true;
    const label = download.textContent;
    const asked = selection.size;
    const meter = h("progress", { class: "selection-progress", "aria-label": "ZIP being prepared" });
    download.after(meter);
    const show = (archive) => {
      download.textContent = progressText(archive);
      if (archive.status === "pending") {
        meter.removeAttribute("value");  // indeterminate until a builder starts
      } else {
        meter.max = Math.max(1, archive.total);
        meter.value = archive.done;
      }
    };
    try {
      const archive = await prepareArchive(slug, selection.list(), show);
      downloadFrom(archive.url, `${slug}-photos.zip`);
      const skipped = asked - archive.photo_count;
      toast(`Downloading ${plural(archive.photo_count, "photo")}` + (skipped > 0 ? ` (${skipped} no longer available)` : ""));
    } catch (err) {
      toast(`Download failed: ${err.message}`);
    } finally {
      meter.remove();
      download.disabled = false;
      download.textContent = label;
    }
  });
}
