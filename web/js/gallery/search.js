/**
 * The search box: debounced as you type, immediate on Enter, and the wording of the status
 * line that says how many results there are and which kinds of matching found them.
 */
import { debounce, formatCount, plural } from "../lib/dom.js";

const MODALITY_LABELS = { fulltext: "full text", trigram: "trigram", semantic: "semantic" };

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
 * "12 results for “cake” · matched by full text (3), semantic (11)".
 * @param {number} total @param {string} q @param {Record<string, number>} modalities
 */
export function searchStatus(total, q, modalities) {
  if (total === 0) return `No results for “${q}”`;
  const parts = Object.entries(modalities || {})
    .filter(([, n]) => n > 0)
    .map(([m, n]) => `${MODALITY_LABELS[m] || m} (${formatCount(n)})`);
  const head = `${plural(total, "result")} for “${q}”`;
  return parts.length ? `${head} · matched by ${parts.join(", ")}` : head;
}
