/**
 * The search box: debounced as you type, immediate on Enter. The status line is the API's own
 * `summary`, in an attendee's words ("3 photos for “cat” · 1 has your words, 2 are about what you
 * asked", and the words searched instead after a correction): the engine's names for how a photo
 * matched (full text, trigram, semantic) are never shown.
 */
import { debounce, plural } from "../lib/dom.js";

/** @param {{initial: string, onSearch: (q: string) => void, delay?: number}} opts */
export function mountSearch({ initial, onSearch, delay = 300 }) {
  const form = /** @type {HTMLFormElement} */ (document.getElementById("search-form"));
  const input = /** @type {HTMLInputElement} */ (document.getElementById("search-input"));
  input.value = initial;
  let last = initial.trim();
  const emit = () => {
    const q = input.value.trim();
    if (q === last) return;
    last = q;
    onSearch(q);
  };
  const debounced = debounce(emit, delay);
  input.addEventListener("input", debounced);
  form.addEventListener("submit", (e) => { e.preventDefault(); emit(); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && input.value) { input.value = ""; emit(); }
  });
  return {
    get value() { return input.value.trim(); },
    /** Shows a query that came from elsewhere (Back/Forward) without searching again. */
    set(q) { input.value = q; last = q.trim(); },
  };
}

/**
 * The status line: the search's `summary`, or (an API without one) how many photos matched.
 * @param {{total: number, summary?: string}} reply @param {string} q
 */
export function searchStatus(reply, q) {
  if (reply.summary) return reply.summary;
  return reply.total === 0 ? `No photos for “${q}”` : `${plural(reply.total, "photo")} for “${q}”`;
}
