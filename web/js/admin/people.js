/**
 * People panel (face_clusters.manage): the people in the event's photos, clustered from their
 * faces (faceclusters), each with a face crop, photo count and name; name, hide, merge the ones
 * ticked, open a person's photos; and the event's crews (people photographed together).
 */
import { eventPath } from "../lib/api.js";
import { h, plural } from "../lib/dom.js";

/** @param {import("./session.js").Session} session @param {(msg: string) => void} toast */
export function mountPeople(session, toast) {
  const grid = /** @type {HTMLElement} */ (document.getElementById("people-grid"));
  const crewsEl = /** @type {HTMLElement} */ (document.getElementById("crews"));
  const photosEl = /** @type {HTMLElement} */ (document.getElementById("person-photos"));
  const merge = /** @type {HTMLButtonElement} */ (document.getElementById("people-merge"));
  const ticked = new Set();

  /** The face: the cover thumbnail scaled and shifted so the face's box fills the square. */
  function crop(person) {
    const { cover } = person;
    const [x, y, w, hgt] = person.cover_bbox;
    const side = Math.max(w, hgt) * 1.4;
    const scale = 96 / side;
    return h("div", { class: "face-crop", role: "img", "aria-label": `Face of ${person.name || "an unnamed person"}`,
      style: { width: "96px", height: "96px", overflow: "hidden", borderRadius: "50%", position: "relative" } },
      h("img", { src: cover.thumbnail_url, alt: "", loading: "lazy",
        style: { position: "absolute", width: `${(cover.width || 1) * scale}px`, maxWidth: "none",
          left: `${-(x + w / 2 - side / 2) * scale}px`, top: `${-(y + hgt / 2 - side / 2) * scale}px` } }));
  }

  async function attempt(action) {
    try { await action(); } catch (err) { toast(err.message); }
  }

  function card(person) {
    const name = /** @type {HTMLInputElement} */ (h("input", { type: "text", value: person.name || "",
      placeholder: "Name", "aria-label": "Name", maxlength: 200 }));
    const tick = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", "aria-label": "Select to merge" }));
    tick.addEventListener("change", () => {
      if (tick.checked) ticked.add(person.id); else ticked.delete(person.id);
      merge.disabled = ticked.size < 2;
    });
    return h("li", { class: "person card", "data-id": person.id },
      crop(person),
      h("p", {}, plural(person.photos, "photo"), person.hidden ? " · hidden" : ""),
      h("form", { class: "person-name", onsubmit: (e) => { e.preventDefault();
        attempt(async () => { await session.admin(`/face-clusters/${person.id}`, { method: "PATCH", json: { name: name.value } }); toast("Name saved"); }); } },
        name, h("button", { type: "submit", class: "btn btn-small" }, "Save")),
      h("div", { class: "person-actions" },
        h("label", {}, tick, " Merge"),
        h("button", { type: "button", class: "btn btn-small", onclick: () => attempt(() => showPhotos(person)) }, "Photos"),
        h("button", { type: "button", class: "btn btn-small btn-ghost", onclick: () => attempt(async () => {
          await session.admin(`/face-clusters/${person.id}`, { method: "PATCH", json: { hidden: !person.hidden } });
          await refresh();
        }) }, person.hidden ? "Unhide" : "Hide")));
  }

  async function showPhotos(person) {
    const page = await session.admin(`/face-clusters/${person.id}/photos`);
    photosEl.hidden = false;
    photosEl.replaceChildren(h("h3", {}, `${person.name || "Unnamed person"}: ${plural(page.photos.length, "photo")}`),
      h("ul", { class: "person-photo-list" }, ...page.photos.map((p) =>
        h("li", {}, h("img", { src: p.thumbnail_url, alt: p.alt || p.filename, width: 120, height: 120, loading: "lazy" })))));
  }

  merge.addEventListener("click", () => attempt(async () => {
    const [into, ...others] = [...ticked];
    await session.admin(`/face-clusters/${into}/merge`, { json: { face_clusters: others } });
    toast("People merged");
    await refresh();
  }));

  /** The event's face-data schedule, from its privacy notice (GET …/privacy). */
  async function retention() {
    const el = /** @type {HTMLElement} */ (document.getElementById("people-retention"));
    const n = await session.call(`${eventPath(session.slug)}/privacy`); // with the token: a private event's too
    el.textContent = n.no_biometrics ? "No biometrics: this event computes no face template."
      : n.purged_at ? `Face data deleted on ${n.purged_at.slice(0, 10)} under the retention policy.`
        : n.purge_on ? `Face data is kept until ${n.purge_on} (${plural(n.face_retention_days, "day")} after the event ends), then deleted.`
          : `Face data is kept ${plural(n.face_retention_days, "day")} after the event ends, then deleted.`;
  }

  async function refresh() {
    retention().catch((err) => toast(err.message));
    ticked.clear();
    merge.disabled = true;
    photosEl.hidden = true;
    const [list, crews] = await Promise.all([session.admin("/face-clusters?hidden=true"), session.admin("/crews")]);
    grid.replaceChildren(...list.face_clusters.map(card));
    if (!list.face_clusters.length) grid.append(h("li", { class: "muted" }, "No people yet: they appear once the faces phase has run."));
    crewsEl.replaceChildren(...crews.crews.map((crew) =>
      h("li", {}, crew.names.map((n) => n || "unnamed").join(", "))));
  }

  return { refresh: () => refresh().catch((err) => toast(err.message)) };
}
