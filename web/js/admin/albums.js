/**
 * Albums panel (issue 15): the review queue of contributed uploads (approve, or reject with a
 * reason the contributor reads), open reports (uphold or dismiss), every album with its
 * contribution policy and contributors, and the organization's album bans. The album routes are
 * not under /admin: the same rights (album.moderate, album.manage) guard them.
 */
import { h, formatDate, plural } from "../lib/dom.js";
import { eventPath } from "../lib/api.js";
import { shows } from "./rights.js";

/** The contribution policies (albums/views.py), as the album page says them. */
export const POLICIES = {
  CLOSED: "Owner and editors",
  INVITE_ONLY: "Invited contributors",
  OPEN: "Anyone signed in",
};

/** @param {import("./session.js").Session} session @param {(msg: string) => void} toast */
export function mountAlbums(session, toast) {
  const base = `${eventPath(session.slug)}`;
  const call = (path, opts = {}) => session.call(`${base}${path}`, opts);
  const reviewEl = document.getElementById("albums-review");
  const flagsEl = document.getElementById("albums-flags");
  const tbody = document.querySelector("#albums-table tbody");
  const bansEl = document.getElementById("albums-bans");
  const contributorsEl = document.getElementById("album-contributors");
  const contributorList = document.getElementById("album-contributor-list");
  const contributorForm = /** @type {HTMLFormElement} */ (document.getElementById("album-contributor-form"));
  const contributorEmail = /** @type {HTMLInputElement} */ (document.getElementById("album-contributor-email"));
  const banForm = /** @type {HTMLFormElement} */ (document.getElementById("album-ban-form"));
  /** @type {Map<string, any>} album id → album, for titles in the queue and the reports */
  let byId = new Map();
  /** The album whose contributors are open, or null. */
  let open = null;
  let generation = 0;

  const titleOf = (albumId) => byId.get(albumId)?.title || "an album";

  /** Runs `action`; a refusal is shown in the API's words. */
  async function attempt(action, done) {
    try {
      await action();
      if (done) toast(done);
      return true;
    } catch (err) {
      if (err.status !== 401) toast(err.message);
      return false;
    }
  }

  function reviewCard(item) {
    const reason = h("input", { type: "text", maxlength: "500", "aria-label": `Reason for rejecting this photo of ${titleOf(item.album_id)}` });
    const decide = (status) => attempt(async () => {
      await call(`/album-items/${encodeURIComponent(item.id)}`, { method: "PATCH",
        json: { status, reason: status === "rejected" ? (reason.value.trim() || "rejected by a moderator") : "" } });
      await refresh();
    }, status === "approved" ? "Approved." : "Rejected.");
    const notes = [
      item.quality_score == null ? null : `quality ${Math.round(item.quality_score * 100)}%`,
      item.nsfw_score == null ? null : `NSFW ${Math.round(item.nsfw_score * 100)}%`,
      item.held ? `held: ${plural(item.flag_count, "report")}` : null,
    ].filter(Boolean).join(" · ");
    return h("figure", { class: "review-card", dataset: { id: item.id, status: item.status } },
      item.url ? h("img", { src: item.url, alt: `Upload to ${titleOf(item.album_id)}`, loading: "lazy", width: "320", height: "240" }) : null,
      h("figcaption", {}, h("span", { class: "review-name" }, titleOf(item.album_id)),
        h("span", { class: "muted" }, item.reason || "awaiting review"),
        notes ? h("span", { class: "muted" }, notes) : null,
        item.near_duplicate_of ? h("span", { class: "near-duplicate" }, "Near duplicate of an item already in the album") : null),
      h("div", { class: "review-actions" },
        h("button", { type: "button", class: "btn btn-small btn-primary", onclick: () => decide("approved") }, "Approve"),
        reason,
        h("button", { type: "button", class: "btn btn-small", onclick: () => decide("rejected") }, "Reject")));
  }

  function flagItem(flag) {
    const resolve = (resolution) => attempt(async () => {
      await call(`/album-flags/${encodeURIComponent(flag.id)}`, { method: "PATCH", json: { resolution } });
      await refresh();
    }, resolution === "upheld" ? "Report upheld." : "Report dismissed.");
    const what = flag.item_id ? `A photo in ${flag.album_title}` : `The album ${flag.album_title}`;
    return h("li", { class: "invitation album-flag", dataset: { id: flag.id } },
      flag.item_url ? h("img", { class: "error-thumb", src: flag.item_url, alt: what, width: "64", height: "64", loading: "lazy" }) : null,
      h("span", {}, h("strong", {}, what), `: “${flag.reason}” · ${formatDate(flag.created_at)}`),
      h("button", { type: "button", class: "btn btn-small", "aria-label": `Uphold the report on ${what}`, onclick: () => resolve("upheld") }, "Uphold"),
      h("button", { type: "button", class: "btn btn-small", "aria-label": `Dismiss the report on ${what}`, onclick: () => resolve("dismissed") }, "Dismiss"));
  }

  function albumRow(album) {
    const policy = h("select", { "aria-label": `Who can add to ${album.title}`,
      onchange: () => attempt(async () => {
        await call(`/albums/${encodeURIComponent(album.id)}`, { method: "PATCH", json: { contribution_policy: policy.value } });
        await refresh();
      }, `${album.title}: ${POLICIES[policy.value].toLowerCase()} can add.`) },
      Object.entries(POLICIES).map(([value, label]) => h("option", { value, selected: value === album.contribution_policy }, label)));
    const rating = album.rating_count
      ? `${album.rating_average.toFixed(1)}★ from ${plural(album.rating_count, "rating")}`
      : "not rated";
    const link = `/album.html?event=${encodeURIComponent(session.slug)}&album=${encodeURIComponent(album.id)}`;
    return h("tr", { dataset: { id: album.id } },
      h("td", {}, h("a", { href: link }, album.title)),
      h("td", {}, policy),
      h("td", {}, rating),
      h("td", {}, album.flag_count ? plural(album.flag_count, "report") : "none", album.held ? h("strong", { class: "is-error" }, " · held") : null),
      h("td", {}, h("button", { type: "button", class: "btn btn-small", "aria-label": `Contributors of ${album.title}`,
        onclick: () => showContributors(album) }, "Contributors")));
  }

  async function showContributors(album) {
    open = album;
    contributorsEl.hidden = false;
    document.getElementById("album-contributors-title").textContent = `Contributors of ${album.title}`;
    const { contributors } = await call(`/albums/${encodeURIComponent(album.id)}/contributors`);
    if (open !== album) return;
    contributorList.replaceChildren(...contributors.map((c) => {
      const who = c.email || c.person_id;
      return h("li", { class: "invitation", dataset: { email: c.email || "" } },
        h("span", {}, h("strong", {}, who), ` · since ${formatDate(c.added_at)}`),
        h("button", { type: "button", class: "btn btn-small", "aria-label": `Remove ${who} from ${album.title}`,
          onclick: () => attempt(async () => {
            await call(`/albums/${encodeURIComponent(album.id)}/contributors/${encodeURIComponent(c.person_id)}`, { method: "DELETE" });
            await showContributors(album);
          }, `${who} removed.`) }, "Remove"));
    }));
    if (!contributors.length) contributorList.replaceChildren(h("li", { class: "muted" }, "Nobody invited yet."));
  }

  contributorForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const album = open;
    if (!album) return;
    const email = contributorEmail.value.trim();
    attempt(async () => {
      await call(`/albums/${encodeURIComponent(album.id)}/contributors`, { json: { email } });
      contributorEmail.value = "";
      await showContributors(album);
    }, `${email} can now add to ${album.title}.`);
  });

  banForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const email = /** @type {HTMLInputElement} */ (document.getElementById("album-ban-email"));
    const reason = /** @type {HTMLInputElement} */ (document.getElementById("album-ban-reason"));
    const who = email.value.trim();
    attempt(async () => {
      await call("/album-bans", { json: { email: who, reason: reason.value.trim() } });
      email.value = reason.value = "";
      await loadBans(generation);
    }, `${who} is banned from the albums.`);
  });

  async function loadBans(gen) {
    const { bans } = await call("/album-bans");
    if (gen !== generation) return;
    bansEl.replaceChildren(...bans.map((b) => {
      const who = b.email || b.person_id;
      return h("li", { class: "invitation album-ban", dataset: { email: b.email || "" } },
        h("span", {}, h("strong", {}, who), b.reason ? `: ${b.reason}` : "", ` · since ${formatDate(b.banned_at)}`),
        h("button", { type: "button", class: "btn btn-small", "aria-label": `Lift the ban on ${who}`,
          onclick: () => attempt(async () => {
            await call(`/album-bans/${encodeURIComponent(b.person_id)}`, { method: "DELETE" });
            await loadBans(generation);
          }, `${who} may contribute again.`) }, "Lift ban"));
    }));
    if (!bans.length) bansEl.replaceChildren(h("li", { class: "muted" }, "Nobody is banned."));
  }

  async function refresh() {
    const gen = ++generation;
    try {
      const { albums } = await call("/albums?sort=recent&limit=200");
      if (gen !== generation) return;
      byId = new Map(albums.map((a) => [a.id, a]));
      tbody.replaceChildren(...albums.map(albumRow));
      if (!albums.length) tbody.replaceChildren(h("tr", {}, h("td", { colspan: "5", class: "muted" }, "No albums yet.")));
      if (!shows("#albums-moderate")) return;
      const [{ items }, { flags }] = await Promise.all([call("/album-review"), call("/album-flags"), loadBans(gen)]);
      if (gen !== generation) return;
      reviewEl.replaceChildren(...items.map(reviewCard));
      if (!items.length) reviewEl.replaceChildren(h("p", { class: "muted" }, "Nothing to review."));
      flagsEl.replaceChildren(...flags.map(flagItem));
      if (!flags.length) flagsEl.replaceChildren(h("li", { class: "muted" }, "No open reports."));
    } catch (err) {
      if (err.status !== 401) toast(`Could not load the albums: ${err.message}`);
    }
  }

  document.getElementById("albums-refresh").addEventListener("click", () => refresh());
  return { refresh };
}
