/**
 * Multi-select: a set of photo ids that survives tab and search changes, shown in a bar that
 * downloads the chosen originals as one ZIP (POST /download) rather than dozens of files.
 */
import { api, eventPath } from "../lib/api.js";
import { saveBlob, plural } from "../lib/dom.js";

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
    download.textContent = "Preparing ZIP…";
    try {
      const res = await api(`${eventPath(slug)}/download`, { json: { ids: selection.list() }, raw: true });
      saveBlob(await res.blob(), `${slug}-photos.zip`);
      toast(`Downloading ${plural(selection.size, "photo")}`);
    } catch (err) {
      toast(`Download failed: ${err.message}`);
    } finally {
      download.disabled = false;
      download.textContent = label;
    }
  });
}
