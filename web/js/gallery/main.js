/**
 * The public gallery page: an orchestrator that loads the event, then wires the toolbar, search,
 * grid, lightbox, find-me and selection modules together and keeps the URL in step with them.
 */
import { api, eventPath, eventSlug, qs, ApiError } from "../lib/api.js";
import { h, plural, formatCount } from "../lib/dom.js";
import { applyTheme } from "../lib/theme.js";
import { readState, writeState } from "./url-state.js";
import { Grid } from "./grid.js";
import { Lightbox } from "./lightbox.js";
import { Selection, mountSelectionBar } from "./selection.js";
import { mountToolbar } from "./toolbar.js";
import { mountSearch, searchStatus } from "./search.js";
import { FindMe } from "./findme.js";

const PAGE_SIZE = 120;
const SEARCH_PAGE_SIZE = 60;

const slug = eventSlug();
const view = readState();
const selection = new Selection(view.sel);
const statusEl = document.getElementById("status");
const emptyEl = document.getElementById("empty");
/** @type {import("./findme.js").MatchResult|null} */
let matchResult = null;
let heroSet = false;

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

async function start() {
  if (!slug) {
    fail("No event selected", "Open the link your organizer shared, e.g. /e/your-event.");
    return;
  }
  let event;
  try {
    event = await api(eventPath(slug));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) fail("Event not found", "Check the link you were given.");
    else fail("The gallery is unavailable", err.message);
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
    sentinel: document.getElementById("sentinel"),
    selection,
    onOpen: (index) => lightbox.open(index),
    onPage: ({ total, items, first }) => { if (first) firstPage(total, items); },
    onError: (err) => { statusEl.textContent = `Could not load photos: ${err.message}`; },
  });
  const lightbox = new Lightbox({
    grid, selection,
    onChange: (photoId) => { view.photo = photoId; writeState(view); },
  });
  const findMe = new FindMe({
    slug,
    maxSelfieBytes: event.max_selfie_bytes,
    getQuery: () => view.q,
    onResults: (result) => { matchResult = result; reload(); },
    onClear: () => { matchResult = null; reload(); },
    onOpenPhoto: (photo) => lightbox.openPhoto(photo),
  });
  findMe.setEnabled(Boolean(event.settings && event.settings.face_matching));

  const toolbar = mountToolbar({
    folders: event.folders, tags: event.tags, state: view,
    onChange: (patch) => { Object.assign(view, patch); reload(); },
  });
  mountSearch({
    initial: view.q,
    onSearch: (q) => {
      view.q = q;
      if (findMe.active) findMe.refine();
      else reload();
    },
  });
  mountSelectionBar(selection, slug, toast);
  selection.subscribe(() => { view.sel = selection.list(); writeState(view); });

  function firstPage(total, items) {
    emptyEl.hidden = total > 0 || items.length > 0;
    if (!heroSet && items.length && !view.q && !matchResult) {
      heroSet = true;
      const hero = items.find((i) => i.photo.kind !== "video") || items[0];
      document.getElementById("hero").style.setProperty("--hero-image",
        `url("${hero.photo.preview_url || hero.photo.thumbnail_url}")`);
    }
    if (matchResult) {
      statusEl.textContent = items.length ? `${plural(items.length, "photo")} of you, best match first` : "";
      if (!items.length) showEmpty("No photos of you here yet", "Try another selfie, or clear the search and filters.");
    } else if (view.q) {
      if (!total) showEmpty(`Nothing found for “${view.q}”`, "Try other words, or clear the filters.");
    } else {
      const where = [view.folder && `in ${view.folder}`, view.tag && `tagged #${view.tag}`].filter(Boolean).join(" ");
      statusEl.textContent = `${formatCount(total)} ${total === 1 ? "photo" : "photos"}${where ? ` ${where}` : ""}`;
      if (!total) showEmpty("No photos here yet", view.folder || view.tag || view.kind ? "Try another folder or filter." : "Check back after the event.");
    }
    if (view.photo && !lightbox.isOpen) openLinkedPhoto(view.photo);
  }

  async function openLinkedPhoto(id) {
    const index = grid.items.findIndex((i) => i.photo.id === id);
    if (index >= 0) { lightbox.open(index); return; }
    try {
      lightbox.openPhoto(await api(`${eventPath(slug)}/photos/${encodeURIComponent(id)}`));
    } catch {
      view.photo = "";
      writeState(view);
    }
  }

  function reload() {
    writeState(view);
    emptyEl.hidden = true;
    statusEl.textContent = "";
    toolbar.setSortable(!view.q && !matchResult);
    grid.setSource(loaderFor());
  }

  function loaderFor() {
    const ep = eventPath(slug);
    const filters = { folder: view.folder, tag: view.tag, kind: view.kind };
    if (matchResult) {
      const items = matchResult.matches
        .filter(({ photo }) => (!view.folder || photo.folder === view.folder) && (!view.kind || photo.kind === view.kind)
          && (!view.tag || photo.auto_tag === view.tag))
        .map(({ photo, confidence }) => ({ photo, badge: `${Math.round(confidence)}%`, badgeLabel: "Match confidence" }));
      return async () => ({ items, next_cursor: null, total: items.length });
    }
    if (view.q) {
      return async (cursor, signal) => {
        const r = await api(`${ep}/search${qs({ q: view.q, limit: SEARCH_PAGE_SIZE, cursor, ...filters })}`, { signal });
        if (!cursor) statusEl.textContent = searchStatus(r.total, view.q, r.modalities);
        return { items: r.results.map((x) => ({ photo: x.photo })), next_cursor: r.next_cursor, total: r.total };
      };
    }
    return async (cursor, signal) => {
      const r = await api(`${ep}/photos${qs({ limit: PAGE_SIZE, cursor, sort: view.sort, ...filters })}`, { signal });
      return { items: r.photos.map((photo) => ({ photo })), next_cursor: r.next_cursor, total: r.total };
    };
  }

  reload();
}

start();
