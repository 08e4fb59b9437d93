/**
 * Review panel: duplicate clusters side by side ("keep this one" hides the others), photos the
 * NSFW model held for review (approve makes one public, reject keeps it out), and every photo with a hide/unhide switch. Hiding is reversible by design.
 */
import { h, plural } from "../lib/dom.js";
import { eventPath, qs } from "../lib/api.js";

const PAGE = 60;

/** @param {import("./session.js").Session} session @param {(msg: string) => void} toast */
export function mountReview(session, toast) {
  const dupEl = document.getElementById("duplicates");
  const flaggedEl = document.getElementById("flagged");
  const allEl = document.getElementById("all-photos");
  const more = /** @type {HTMLButtonElement} */ (document.getElementById("more-photos"));
  let cursor = null;
  // A newer refresh wins: a stale reply must not redraw cards the organizer is acting on.
  let generation = 0;

  async function setHidden(photo, hidden) {
    const updated = await session.admin(`/photos/${encodeURIComponent(photo.id)}`, { method: "PATCH", json: { hidden } });
    for (const card of document.querySelectorAll(`.review-card[data-id="${CSS.escape(photo.id)}"]`)) {
      syncCard(/** @type {HTMLElement} */ (card), updated.hidden);
    }
    return updated;
  }

  function card(photo, extra = null, lazy = false) {
    const toggle = h("button", { type: "button", class: "btn btn-small hide-toggle",
      onclick: async () => {
        toggle.disabled = true;
        try { await setHidden(photo, !el.classList.contains("is-hidden")); }
        catch (err) { toast(err.message); }
        finally { toggle.disabled = false; }
      } });
    const el = h("figure", { class: "review-card", dataset: { id: photo.id } },
      h("img", { src: photo.thumbnail_url, alt: photo.alt || photo.filename, loading: lazy ? "lazy" : "eager",
        width: photo.width || 320, height: photo.height || 240 }),
      h("figcaption", {}, h("span", { class: "review-name" }, photo.filename),
        h("span", { class: "muted" }, photo.width && photo.height ? `${photo.width}×${photo.height}` : ""),
        h("span", { class: "hidden-badge" }, "Hidden")),
      h("div", { class: "review-actions" }, extra, toggle));
    syncCard(el, photo.hidden);
    return el;
  }

  async function loadDuplicates(gen) {
    const { clusters, exact_copies: copies = [] } = await session.admin("/duplicates");
    if (gen !== generation) return;
    // Files with the same bytes are one photo (the others are kept as its aliases): listed, not clustered.
    const copyList = copies.length
      ? [h("section", { class: "exact-copies", "aria-label": "Exact copies" },
        h("p", { class: "cluster-head" }, h("span", { class: "duplicate-kind duplicate-kind-exact" }, "Exact copies"),
          " one photo each, the same bytes also found as"),
        h("ul", {}, copies.map((c) => h("li", {}, h("strong", {}, c.photo.filename), " = ",
          c.aliases.map((key) => key.split("/originals/").pop()).join(", ")))))]
      : [];
    if (!clusters.length) {
      dupEl.replaceChildren(...copyList, h("p", { class: "muted" }, "No near duplicates found."));
      return;
    }
    dupEl.replaceChildren(...copyList, ...clusters.map((c) => {
      const keep = (photo) => h("button", { type: "button", class: "btn btn-small btn-primary keep-one",
        onclick: async () => {
          try {
            const others = c.photos.filter((p) => p.id !== photo.id);
            await Promise.all([setHidden(photo, false), ...others.map((p) => setHidden(p, true))]);
            toast(`Kept ${photo.filename}, hid ${plural(others.length, "photo")}`);
          } catch (err) { toast(err.message); }
        } }, "Keep this one");
      return h("section", { class: "cluster", "aria-label": `${c.duplicate_kind} duplicates` },
        h("p", { class: "cluster-head" }, h("span", { class: "duplicate-kind duplicate-kind-near" }, "Near duplicates"),
          ` ${plural(c.photos.length, "photo")}`),
        h("div", { class: "cluster-photos" }, c.photos.map((p) => card(p, keep(p)))));
    }));
  }

  /** Approve (public) or reject (stays out of the gallery) a photo held for review. */
  function decide(photo, review, label) {
    const btn = h("button", { type: "button", class: `btn btn-small review-${review}`,
      "aria-label": `${label} ${photo.filename}`,
      onclick: async () => {
        btn.disabled = true;
        try {
          await session.admin(`/photos/${encodeURIComponent(photo.id)}`, { method: "PATCH", json: { review } });
          btn.closest(".review-card")?.remove();
          if (!flaggedEl.querySelector(".review-card")) flaggedEl.replaceChildren(h("p", { class: "muted" }, "Nothing held for review."));
          toast(`${photo.filename} ${review}`);
        } catch (err) { toast(err.message); btn.disabled = false; }
      } }, label);
    return btn;
  }

  async function loadFlagged(gen) {
    const { photos } = await session.admin("/flagged");
    if (gen !== generation) return;
    flaggedEl.replaceChildren(photos.length
      ? h("div", { class: "review-grid flagged" }, photos.map((p) => card(p,
        h("span", { class: "review-decision" },
          h("span", { class: "nsfw-score" }, `NSFW ${Math.round((p.nsfw_score || 0) * 100)}%`),
          decide(p, "approved", "Approve"), decide(p, "rejected", "Reject")))))
      : h("p", { class: "muted" }, "Nothing held for review."));
  }

  async function loadPhotos(reset, gen = generation) {
    if (reset) cursor = null;
    const query = qs({ limit: PAGE, cursor, sort: "filename" });
    let r;
    try {
      // The organizer listing includes hidden photos, so they can be unhidden here.
      r = await session.admin(`/photos${query}`);
    } catch (err) {
      if (err.status !== 404 && err.status !== 405) throw err;
      r = await session.call(`${eventPath(session.slug)}/photos${query}`);
    }
    if (gen !== generation) return;
    if (reset) allEl.replaceChildren();
    allEl.append(...r.photos.map((p) => card(p, null, true)));
    cursor = r.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener("click", () => loadPhotos(false).catch((err) => toast(err.message)));

  return {
    async refresh() {
      const gen = ++generation;
      const results = await Promise.allSettled([loadDuplicates(gen), loadFlagged(gen), loadPhotos(true, gen)]);
      const failed = results.find((r) => r.status === "rejected");
      if (failed && failed.reason.status !== 401) toast(`Could not load everything: ${failed.reason.message}`);
    },
  };
}

function syncCard(el, hidden) {
  el.classList.toggle("is-hidden", hidden);
  const btn = el.querySelector(".hide-toggle");
  if (btn) {
    btn.textContent = hidden ? "Unhide" : "Hide";
    btn.setAttribute("aria-pressed", String(hidden));
    btn.setAttribute("aria-label", `${hidden ? "Unhide" : "Hide"} ${el.querySelector(".review-name").textContent}`);
  }
}
