/**
 * The gallery's view state lives in the URL (tab, filters, search, find me, open photo) so any view
 * can be shared as a link and Back/Forward move through it: each step a visitor takes (an album, a
 * search, find me, opening a photo) is one history entry (pushState), while refinements of the same
 * step (typing on in the search box, browsing photos in the viewer) replace the current entry.
 * The selection is not part of the URL: 500 ids would make it 18 KB long (see selection.js).
 */

const KEYS = ["folder", "tag", "kind", "sort", "q", "me", "photo"];
/** The keys that decide what the grid lists (a change reloads it); `photo` only opens the viewer. */
export const LIST_KEYS = ["folder", "tag", "kind", "sort", "q", "me"];

/** @typedef {{folder: string, tag: string, kind: string, sort: string, q: string, me: string, photo: string}} ViewState */

/** @returns {ViewState} */
export function readState(loc = window.location) {
  const p = new URLSearchParams(loc.search);
  const state = /** @type {ViewState} */ ({});
  for (const k of KEYS) state[k] = p.get(k) || "";
  return state;
}

/** True when the two states list the same photos (they may differ in the open photo). */
export function sameList(a, b) {
  return LIST_KEYS.every((k) => (a[k] || "") === (b[k] || ""));
}

/**
 * Writes the state into the URL, keeping `event=` and the path. `push` makes it a new history
 * entry (one step Back undoes); otherwise the current entry is replaced. `mark` is stored as the
 * entry's history.state, so a later step can tell which entry it is on (e.g. the viewer's own).
 * @param {ViewState} state @param {{push?: boolean, mark?: Record<string, unknown>|null}} [opts]
 */
export function writeState(state, { push = false, mark = undefined } = {}) {
  const url = new URL(window.location.href);
  const p = url.searchParams;
  for (const k of KEYS) {
    if (state[k]) p.set(k, state[k]);
    else p.delete(k);
  }
  p.delete("sel");  // links from before the selection left the URL
  const next = `${url.pathname}${p.toString() ? `?${p}` : ""}${url.hash}`;
  const current = `${window.location.pathname}${window.location.search}${window.location.hash}`;
  const data = mark === undefined ? history.state : mark;
  if (push && next !== current) history.pushState(data, "", next);
  else if (next !== current || mark !== undefined) history.replaceState(data, "", next);
}
