/**
 * Find-me panel: how attendees use "Find me" (GET …/admin/analytics): sessions, distinct
 * searchers (per browser session, never from faces), the photos found most often, recent searches.
 */
import { h, formatCount, formatDate, plural } from "../lib/dom.js";

/** @param {import("./session.js").Session} session @param {(msg: string) => void} toast */
export function mountAnalytics(session, toast) {
  const totals = document.getElementById("findme-totals");
  const hot = document.getElementById("findme-hot");
  const recent = document.querySelector("#findme-recent tbody");
  document.getElementById("findme-refresh").addEventListener("click", () => refresh());

  async function refresh() {
    let data;
    try {
      data = await session.admin("/analytics");
    } catch (err) {
      if (err.status !== 401) toast(`Could not load find-me activity: ${err.message}`);
      return;
    }
    totals.replaceChildren(...[["searches", data.sessions], ["searchers", data.distinct_searchers],
      ["hot photos", data.hot_photos.length]].map(([k, n]) =>
      h("div", { class: "total" }, h("strong", {}, formatCount(n)), h("span", {}, k))));
    hot.replaceChildren(...data.hot_photos.map((x) => h("li", { class: "hot-photo" },
      x.photo.thumbnail_url ? h("img", { src: x.photo.thumbnail_url, alt: x.photo.alt || x.photo.filename, width: "96", height: "96", loading: "lazy" }) : null,
      h("span", {}, h("strong", {}, x.photo.filename), h("br"), `found in ${plural(x.sessions, "search", "searches")}`))));
    if (!data.hot_photos.length) hot.replaceChildren(h("li", { class: "muted" }, "No photo has been found yet."));
    recent.replaceChildren(...data.recent.map((r) => h("tr", {},
      h("td", {}, formatDate(r.at)),
      h("td", { class: "num" }, formatCount(r.match_count)),
      h("td", { class: "num" }, r.top_confidence == null ? "—" : `${Math.round(r.top_confidence)}%`),
      h("td", {}, r.confidence_band),
      h("td", {}, r.query_text || ""))));
    if (!data.recent.length) recent.replaceChildren(h("tr", {}, h("td", { colspan: "5", class: "muted" }, "No searches yet.")));
  }

  return { refresh };
}
