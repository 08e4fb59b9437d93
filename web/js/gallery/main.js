/**
 * The public gallery page: an orchestrator that loads the event, then wires the toolbar, search,
 * grid, lightbox, find-me and selection modules together and keeps the URL and the history in
 * step with them (url-state.js: one history entry per step, so Back undoes it).
 */
import { api, eventPath, eventSlug, qs, ApiError } from "../lib/api.js";
import { withGalleryPass } from "../lib/pass.js";
import { h, plural, formatCount } from "../lib/dom.js";
import { applyTheme } from "../lib/theme.js";
import { readState, writeState, sameList } from "./url-state.js";
import { Grid } from "./grid.js";
import { Lightbox } from "./lightbox.js";
import { Selection, mountSelectionBar, downloadPhotos, tooMany, ARCHIVE_MAX_PHOTOS } from "./selection.js";
import { mountToolbar } from "./toolbar.js";
import { mountSearch, searchStatus } from "./search.js";
import { FindMe } from "./findme.js";
import { mountScrubber } from "./scrubber.js";

const PAGE_SIZE = 120;
const SEARCH_PAGE_SIZE = 60;
/** The search API's largest page (api/gallery.py); the photo list takes up to 500. */
const SEARCH_MAX_PAGE = 200;

const slug = eventSlug();
const view = readState();
const selection = new Selection(slug ? `eventlens.selection.${slug}` : null);
const RESULT_KEY = `eventlens.findme.result.${slug}`;
const statusEl = document.getElementById("status");
const emptyEl = document.getElementById("empty");
/** @type {import("./findme.js").MatchResult|null} */
let matchResult = null;
let heroSet = false;
/** True while the page applies a state it did not cause (Back/Forward, a shared link): no new entries. */
let restoring = false;

function toast(message) {
  const el = h("div", { class: "toast", role: "status" }, message);
  document.body.append(el);
  setTimeout(() => el.remove(), 3500);
}

function showEmpty(title, hint = "") {
  emptyEl.hidden = false;
  document.getElementById("empty-title").textContent = title;
  document.getElementById("empty-hint").textContent = hint;
}

function fail(title, hint) {
  document.getElementById("event-name").textContent = title;
  document.getElementById("toolbar").hidden = true;
  showEmpty(title, hint);
}

/** Runs `fn` as the page's own doing (not a visitor's step): nothing it writes adds history. */
function quietly(fn) {
  const was = restoring;
  restoring = true;
  try { return fn(); } finally { restoring = was; }
}

/** Find-me results of this tab, so a reload or Back shows them again (never the selfie). */
function saveResult(result) {
  try {
    if (result) sessionStorage.setItem(RESULT_KEY, JSON.stringify(result));
    else sessionStorage.removeItem(RESULT_KEY);
  } catch { /* storage refused or full: results last until the tab reloads */ }
}

function savedResult() {
  try {
    const r = JSON.parse(sessionStorage.getItem(RESULT_KEY) || "null");
    return r && Array.isArray(r.matches) && Array.isArray(r.recommendations) ? r : null;
  } catch {
    return null;
  }
}

/** A private gallery, signed out or without a role: where to sign in with the invited account. */
function showSignIn() {
  const link = /** @type {HTMLAnchorElement} */ (document.getElementById("private-sign-in"));
  link.href = `/e/${encodeURIComponent(slug)}/admin`;
  link.hidden = false;
}

async function start() {
  if (!slug) {
    fail("No event selected", "Open the link your organizer shared, e.g. /e/your-event.");
    return;
  }
  let event;
  try {
    event = await withGalleryPass(slug, () => api(eventPath(slug)));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) fail("Event not found", "Check the link you were given.");
    else if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      fail("This gallery is private", err.status === 401
        ? "Sign in with the account you were invited with."
        : `${err.message}.`);
      showSignIn();
    } else fail("The gallery is unavailable", err.message);
    return;
  }
  applyTheme(event.settings && event.settings.theme);
  document.title = `${event.name} · Photos`;
  document.getElementById("event-name").textContent = event.name;
  document.getElementById("event-meta").textContent = [
    plural(event.photo_count, "photo"),
    event.folders.length ? plural(event.folders.length, "folder") : null,
  ].filter(Boolean).join(" · ");

  const grid = new Grid({
    root: document.getElementById("grid"),
    selection,
    onOpen: (index) => lightbox.open(index),
    onPage: ({ total, items, first }) => { if (first) firstPage(total, items); },
    onError: (err) => { statusEl.textContent = `Could not load photos: ${err.message}`; },
  });
  mountScrubber(grid);
  const lightbox = new Lightbox({
    grid, selection,
    onChange: (photoId, how) => {
      view.photo = photoId;
      if (restoring) return;
      if (how === "open") writeState(view, { push: true, mark: { viewer: true } });
      else if (how === "step") writeState(view);
      // Closing the viewer undoes the step that opened it: Back, so Forward reopens it.
      else if (history.state && history.state.viewer) history.back();
      else writeState(view);
    },
  });
  const findMe = new FindMe({
    slug,
    maxSelfieBytes: event.max_selfie_bytes,
    getQuery: () => view.q,
    onResults: (result, how) => {
      matchResult = { ...result, q: view.q };  // the query it answered, to tell a later one apart
      saveResult(matchResult);
      const entering = !view.me;
      view.me = "1";
      writeState(view, { push: entering && how === "new" && !restoring });
      reload();
      if (how === "new") focusResults();
    },
    onClear: () => {
      matchResult = null;
      saveResult(null);
      view.me = "";
      writeState(view, { push: !restoring });
      reload();
    },
    onOpenPhoto: (photo) => lightbox.openPhoto(photo),
  });
  findMe.setEnabled(Boolean(event.settings && event.settings.face_matching));
  if (view.me) {
    const kept = findMe.active || !event.settings?.face_matching ? null : savedResult();
    if (kept) { matchResult = kept; findMe.restore(kept); } else view.me = "";
  }

  const toolbar = mountToolbar({
    folders: event.folders, tags: event.tags, state: view,
    onChange: (patch) => { Object.assign(view, patch); writeState(view, { push: !restoring }); reload(); },
  });
  const search = mountSearch({
    initial: view.q,
    onSearch: (q) => {
      // Starting or leaving a search is a step; typing on refines the same one.
      const step = !view.q !== !q;
      view.q = q;
      writeState(view, { push: step && !restoring });
      if (findMe.active && findMe.canRefine) findMe.refine();
      else reload();
    },
  });
  mountSelectionBar(selection, slug, toast);
  document.getElementById("findme-widen").addEventListener("click", () => widenFindMe());
  const findMeDownload = /** @type {HTMLButtonElement} */ (document.getElementById("findme-download"));
  findMeDownload.addEventListener("click", () =>
    downloadPhotos(slug, visibleMatches().map((m) => m.photo.id), findMeDownload, toast));

  const selectAll = /** @type {HTMLButtonElement} */ (document.getElementById("select-all"));
  const downloadAll = /** @type {HTMLButtonElement} */ (document.getElementById("download-all"));
  /** Every photo the grid lists (all its pages), or null after saying why not (over a ZIP's limit). */
  async function everyId() {
    if (grid.total > ARCHIVE_MAX_PHOTOS) { toast(tooMany(grid.total)); return null; }
    const items = await grid.loadAll(ARCHIVE_MAX_PHOTOS);
    if (items.length > ARCHIVE_MAX_PHOTOS) { toast(tooMany(items.length)); return null; }
    return items.map((i) => i.photo.id);
  }
  selectAll.addEventListener("click", async () => {
    const ids = await everyId();
    if (ids) selection.addAll(ids);
  });
  downloadAll.addEventListener("click", async () => {
    const ids = await everyId();
    if (ids) await downloadPhotos(slug, ids, downloadAll, toast);
  });

  window.addEventListener("popstate", () => quietly(() => applyHistory()));

  /** Shows the state Back/Forward moved to: the list it names, then the viewer. */
  function applyHistory() {
    const next = readState();
    const listChanged = !sameList(view, next);
    const meChanged = view.me !== next.me;
    const qChanged = view.q !== next.q;
    Object.assign(view, next);
    if (listChanged) {
      toolbar.sync(view);
      search.set(view.q);
      if (meChanged && !view.me) {
        findMe.clear({ quiet: true });
        matchResult = null;
      } else if (meChanged) {
        const kept = savedResult();
        if (kept) { matchResult = kept; findMe.restore(kept); } else { view.me = ""; writeState(view); }
      } else if (qChanged && findMe.active && findMe.canRefine) {
        findMe.refine();
        return;
      }
      if (lightbox.isOpen) lightbox.close({ quiet: true });
      reload();  // its first page opens view.photo, if any
      return;
    }
    if (!view.photo && lightbox.isOpen) lightbox.close({ quiet: true });
    else if (view.photo && lightbox.currentId !== view.photo) openLinkedPhoto(view.photo);
  }

  /** Find-me matches that pass the folder, tag and media-type filters (the text query is the server's). */
  function visibleMatches() {
    if (!matchResult) return [];
    return matchResult.matches.filter(({ photo }) => (!view.folder || photo.folder === view.folder)
      && (!view.kind || photo.kind === view.kind) && (!view.tag || photo.auto_tag === view.tag));
  }

  /** What narrows find me besides the face, in words ("in Keynote", "matching “cake”"). */
  function narrowing() {
    return [
      view.q && `matching “${view.q}”`,
      view.folder && `in ${view.folder}`,
      view.tag && `tagged #${view.tag}`,
      view.kind && (view.kind === "video" ? "among videos" : "among photos"),
    ].filter(Boolean);
  }

  /** Clears the search and filters that hide some of the visitor's photos (one step Back undoes). */
  function widenFindMe() {
    const refine = Boolean(view.q) && findMe.canRefine;
    Object.assign(view, { q: "", folder: "", tag: "", kind: "" });
    writeState(view, { push: true });
    toolbar.sync(view);
    search.set("");
    if (refine) findMe.refine();
    else reload();
  }

  /**
   * The find-me header says what the grid shows: the count after the filters, and when the search
   * or a filter hides photos of the visitor, that it does (with a button to clear it) rather than
   * blaming the selfie.
   */
  function describeFindMe(visible) {
    const summary = document.getElementById("findme-summary");
    const widen = document.getElementById("findme-widen");
    const all = matchResult.matches.length;
    const scope = narrowing();
    const where = scope.length ? ` ${scope.join(", ")}` : "";
    let text;
    if (visible > 0) {
      text = `Found you in ${plural(visible, "photo")}${where}.`;
    } else if (scope.length) {
      text = all > 0 && !view.q
        ? `None of your ${plural(all, "photo")} are${where}.`
        : `No photos of you${where}. The filter hides them, not your selfie.`;
    } else {
      text = matchResult.message || "No photos of you here yet.";
    }
    if (view.q && !findMe.canRefine && matchResult.q !== view.q) {
      text += " Take your selfie again to search within your photos.";
    }
    summary.textContent = text;
    widen.hidden = scope.length === 0;
    widen.textContent = view.q ? "Clear search and filters" : "Clear filters";
    findMeDownload.hidden = visible === 0;
    findMeDownload.textContent = visible === 1 ? "Download my photo" : `Download all my photos (${formatCount(visible)})`;
  }

  function focusResults() {
    document.getElementById("findme-title").focus();
  }

  function firstPage(total, items) {
    emptyEl.hidden = total > 0 || items.length > 0;
    // Past a ZIP's 500 the two would only say no: a folder, a tag or a search narrows it first.
    selectAll.hidden = total === 0 || total > ARCHIVE_MAX_PHOTOS;
    downloadAll.hidden = selectAll.hidden || Boolean(matchResult);
    downloadAll.textContent = `Download all (${formatCount(total)})`;
    if (!heroSet && items.length && !view.q && !matchResult) {
      heroSet = true;
      const hero = items.find((i) => i.photo.kind !== "video") || items[0];
      // A phone's banner is a few hundred pixels wide: the thumbnail, not the 1920 px preview.
      const small = window.matchMedia("(max-width: 760px)").matches;
      const url = small ? hero.photo.thumbnail_url || hero.photo.preview_url : hero.photo.preview_url || hero.photo.thumbnail_url;
      document.getElementById("hero").style.setProperty("--hero-image", `url("${url}")`);
    }
    if (matchResult) {
      describeFindMe(items.length);
      statusEl.textContent = items.length ? `${plural(items.length, "photo")} of you, best match first` : "";
      if (!items.length) {
        showEmpty(narrowing().length ? "None of your photos are in this view" : "No photos of you here yet",
          narrowing().length ? "Clear the search or filters to see the rest." : "Try another selfie.");
      }
    } else if (view.q) {
      if (!total) showEmpty(`Nothing found for “${view.q}”`, "Try other words, or clear the filters.");
    } else {
      const where = [view.folder && `in ${view.folder}`, view.tag && `tagged #${view.tag}`].filter(Boolean).join(" ");
      statusEl.textContent = `${formatCount(total)} ${total === 1 ? "photo" : "photos"}${where ? ` ${where}` : ""}`;
      if (!total) showEmpty("No photos here yet", view.folder || view.tag || view.kind ? "Try another folder or filter." : "Check back after the event.");
    }
    if (view.photo && lightbox.currentId !== view.photo) openLinkedPhoto(view.photo);
  }

  /** Opens the photo a link or a history entry names, without adding a history entry. */
  async function openLinkedPhoto(id) {
    const index = grid.items.findIndex((i) => i.photo.id === id);
    if (index >= 0) { quietly(() => lightbox.open(index)); return; }
    try {
      const photo = await api(`${eventPath(slug)}/photos/${encodeURIComponent(id)}`);
      if (view.photo === id) quietly(() => lightbox.openPhoto(photo));
    } catch {
      view.photo = "";
      writeState(view);
    }
  }

  function reload() {
    emptyEl.hidden = true;
    statusEl.textContent = "";
    toolbar.setSortable(!view.q && !matchResult);
    grid.setSource(loaderFor());
  }

  function loaderFor() {
    const ep = eventPath(slug);
    const filters = { folder: view.folder, tag: view.tag, kind: view.kind };
    if (matchResult) {
      const items = visibleMatches()
        .map(({ photo, confidence }) => ({ photo, badge: `${Math.round(confidence)}%`, badgeLabel: "Match confidence" }));
      return async () => ({ items, next_cursor: null, total: items.length });
    }
    if (view.q) {
      return async (cursor, signal, limit) => {
        const size = Math.min(limit || SEARCH_PAGE_SIZE, SEARCH_MAX_PAGE);
        const r = await api(`${ep}/search${qs({ q: view.q, limit: size, cursor, ...filters })}`, { signal });
        if (!cursor) statusEl.textContent = searchStatus(r, view.q);
        return { items: r.results.map((x) => ({ photo: x.photo })), next_cursor: r.next_cursor, total: r.total };
      };
    }
    if (MEDIA_SORTS.has(view.sort)) return mediaLoader(ep, view.sort, filters);
    return async (cursor, signal, limit) => {
      const r = await api(`${ep}/photos${qs({ limit: limit || PAGE_SIZE, cursor, sort: view.sort, ...filters })}`, { signal });
      return { items: r.photos.map((photo) => ({ photo })), next_cursor: r.next_cursor, total: r.total };
    };
  }

  writeState(view);  // drops a stale `me` or an old `sel=` from the address
  reload();
}

/** Sorts by engagement come from the public media gallery (`/media`: upvotes, views, trending, top rated). */
const MEDIA_SORTS = new Set(["recent", "popular", "most_viewed", "trending", "top_rated"]);

/** Pages of `/media` in `sort` order as the grid's photos (its cursor is the offset; the first page counts). */
function mediaLoader(ep, sort, filters) {
  let total = 0;
  return async (cursor, signal, limit) => {
    const offset = Number(cursor || 0);
    const r = await api(`${ep}/media${qs({ sort, limit: Math.min(limit || PAGE_SIZE, 100), offset,
      count: offset ? undefined : "true", ...filters })}`, { signal });
    const items = r.items.map((m) => ({ photo: { ...m, preview_url: m.poster_url } }));
    if (!offset) total = r.total ?? items.length;
    return { items, next_cursor: r.pagination.has_more ? String(offset + items.length) : null, total };
  };
}

start();
