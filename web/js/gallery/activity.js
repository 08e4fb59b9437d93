/**
 * The live find-me ticker and the "most found" photos, from /activity: counts only (how many
 * searched and found themselves in the last hour, and the public photos several searches found),
 * never anything of one search. Polled while the tab is visible; hidden when there is nothing
 * to say (face matching off, or no search yet).
 */
import { api, eventPath } from "../lib/api.js";
import { h, plural } from "../lib/dom.js";
import { altText } from "./grid.js";

const POLL_MS = 30_000;

/**
 * @param {{slug: string, onOpenPhoto: (photo: any) => void}} opts
 * @returns {{setShown: (shown: boolean) => void, refresh: () => Promise<void>}}
 */
export function mountActivity({ slug, onOpenPhoto }) {
  const section = document.getElementById("activity");
  const ticker = document.getElementById("ticker");
  const hot = document.getElementById("hot");
  const row = document.getElementById("hot-row");
  let shown = true, hasNews = false, timer = 0;

  const sync = () => { section.hidden = !(shown && hasNews); };

  async function refresh() {
    let a;
    try {
      a = await api(`${eventPath(slug)}/activity`);
    } catch {
      return;  // the ticker is a nicety: a failed poll leaves it as it was
    }
    hasNews = a.searches > 0;
    const hour = a.window_minutes === 60 ? "the last hour" : `the last ${a.window_minutes} minutes`;
    ticker.textContent = a.recent_searches > 0
      ? `${plural(a.recent_searches, "search", "searches")} with Find me in ${hour} · ${
        a.recent_found === 1 ? "1 person" : `${a.recent_found} people`} found themselves`
      : `${plural(a.searches, "search", "searches")} with Find me so far`;
    hot.hidden = a.hot_photos.length === 0;
    row.replaceChildren(...a.hot_photos.map(({ photo, sessions }) => {
      const found = `found in ${plural(sessions, "search", "searches")}`;
      return h("li", {}, h("button", { type: "button", class: "hot-photo", "aria-label": `${altText(photo)}, ${found}`,
        onclick: () => onOpenPhoto(photo) },
        h("img", { src: photo.thumbnail_url, alt: "", width: 48, height: 48 }),
        h("span", { class: "hot-count", "aria-hidden": "true" }, String(sessions))));
    }));
    sync();
  }

  const poll = () => {
    clearTimeout(timer);
    if (document.visibilityState === "visible") refresh();
    timer = setTimeout(poll, POLL_MS);
  };
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") poll(); });
  poll();
  return { setShown: (on) => { shown = on; sync(); }, refresh };
}
