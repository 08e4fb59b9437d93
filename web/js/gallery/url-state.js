/**
 * The gallery's view state lives in the URL (tab, filters, search, open photo, selection) so any
 * view can be shared as a link; history.replaceState keeps the back button for real navigation.
 */

const KEYS = ["folder", "tag", "kind", "sort", "q", "photo"];

/** @typedef {{folder: string, tag: string, kind: string, sort: string, q: string, photo: string, sel: string[]}} ViewState */

/** @returns {ViewState} */
export function readState(loc = window.location) {
  const p = new URLSearchParams(loc.search);
  const state = /** @type {ViewState} */ ({ sel: [] });
  for (const k of KEYS) state[k] = p.get(k) || "";
  state.sel = (p.get("sel") || "").split(",").filter(Boolean);
  return state;
}

/** Writes the state into the current URL, keeping `event=` and the path. */
export function writeState(state) {
  const url = new URL(window.location.href);
  const p = url.searchParams;
  for (const k of KEYS) {
    if (state[k]) p.set(k, state[k]);
    else p.delete(k);
  }
  if (state.sel && state.sel.length) p.set("sel", state.sel.join(","));
  else p.delete("sel");
  const next = `${url.pathname}${p.toString() ? `?${p}` : ""}${url.hash}`;
  if (next !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
    history.replaceState(history.state, "", next);
  }
}
