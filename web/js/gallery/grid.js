/**
 * The photo grid: justified rows laid out here from each photo's width/height (no layout shift),
 * of which only the rows near the viewport are in the DOM (a window): 10,000 photos cost the nodes
 * of a few screens, and the thumbnails requested are the ones on screen, never a queue of
 * off-screen ones. The canvas is as tall as the whole list (rows not loaded yet are estimated), so
 * the scrollbar spans the event and a jump loads the pages up to where it lands, in large pages.
 */
import { h, formatDuration } from "../lib/dom.js";

/** @typedef {{photo: any, badge?: string, badgeLabel?: string}} GridItem */
/** @typedef {(cursor: string|null, signal: AbortSignal, limit?: number) => Promise<{items: GridItem[], next_cursor: string|null, total: number}>} PageLoader */

/** Rows kept in the DOM above and below the viewport, in viewport heights. */
const WINDOW_MARGIN = 1;
/** Load the next page when the loaded rows end within this many pixels past the window. */
const PRELOAD_MARGIN = 1600;
/** Page size when catching up with a jump far past the loaded rows (the API's maximum). */
const CATCH_UP_LIMIT = 500;
const LONG_PRESS_MS = 500;
const LONG_PRESS_SLOP_PX = 10;

/** @typedef {{top: number, height: number, start: number, end: number, full: boolean}} Row */

export class Grid {
  /**
   * @param {{root: HTMLElement, selection: import("./selection.js").Selection,
   *          onOpen: (index: number) => void, onPage: (info: {total: number, items: GridItem[], first: boolean}) => void,
   *          onError: (err: Error) => void}} opts
   */
  constructor(opts) {
    this.root = opts.root;
    this.selection = opts.selection;
    this.onOpen = opts.onOpen;
    this.onPage = opts.onPage;
    this.onError = opts.onError;
    /** @type {GridItem[]} */
    this.items = [];
    this.total = 0;
    this.cursor = null;
    this.hasMore = false;
    this.loading = null;
    this.controller = null;
    /** @type {PageLoader|null} */
    this.loader = null;
    /** @type {Row[]} */
    this.rows = [];
    this.width = 0;
    this.metrics = { target: 220, gap: 6 };
    /** The canvas's top in the document and its height, as of the last render / layout. */
    this.top = 0;
    this.height = 0;
    this.scrollY = 0;
    /** @type {Map<number, HTMLElement>} index -> tile on screen */
    this.tiles = new Map();
    this.canvas = h("div", { class: "grid-canvas", role: "list" });
    this.root.replaceChildren(this.canvas);
    this.frame = 0;
    /** The last tile chosen one by one: a shift-click selects from it to the clicked tile. */
    this.anchor = -1;
    /** Set by a long press, so the click that ends it selects rather than opens. */
    this.pressed = false;
    this.touch = false;
    this.root.addEventListener("click", (e) => this.#onClick(e));
    this.#wireLongPress();
    this.selection.subscribe((id) => this.#syncSelected(id));
    const schedule = () => { if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.#render(); }); };
    window.addEventListener("scroll", schedule, { passive: true });
    new ResizeObserver(() => {
      if (this.root.clientWidth !== this.width) { this.#layout(); schedule(); }
    }).observe(this.root);
    this.schedule = schedule;
  }

  /** Replaces what the grid shows; the first page loads at once. @param {PageLoader} loader */
  setSource(loader) {
    this.controller?.abort();
    this.controller = new AbortController();
    this.loader = loader;
    this.items = [];
    this.total = 0;
    this.cursor = null;
    this.hasMore = true;
    this.loading = null;
    this.anchor = -1;
    this.rows = [];
    this.tiles.clear();
    this.canvas.replaceChildren();
    this.height = 0;
    this.canvas.style.setProperty("height", "0px");
    this.root.setAttribute("aria-busy", "true");
    return this.loadMore();
  }

  /** Loads the next page unless one is loading or none is left; resolves when it is laid out. */
  loadMore(limit = undefined) {
    if (this.loading || !this.hasMore || !this.loader) return this.loading || Promise.resolve();
    const controller = this.controller;
    const first = this.items.length === 0;
    this.loading = this.loader(this.cursor, controller.signal, limit)
      .then((page) => {
        if (controller.signal.aborted) return;
        this.cursor = page.next_cursor;
        this.hasMore = Boolean(page.next_cursor) && page.items.length > 0;
        this.total = page.total;
        this.items.push(...page.items);
        this.#layout(true);
        this.root.removeAttribute("aria-busy");
        this.onPage({ total: page.total, items: page.items, first });
      })
      .catch((err) => {
        if (controller.signal.aborted || err.name === "AbortError") return;
        this.hasMore = false;
        this.root.removeAttribute("aria-busy");
        this.onError(err);
      })
      .finally(() => {
        if (this.controller === controller) this.loading = null;
        if (!controller.signal.aborted) this.#render();
      });
    return this.loading;
  }

  /** The row geometry: target height and gap from the CSS (--row-h, --gap), width from the root. */
  #metrics() {
    const css = getComputedStyle(this.root);
    return {
      target: parseFloat(css.getPropertyValue("--row-h")) || 220,
      gap: parseFloat(css.getPropertyValue("--gap")) || 6,
    };
  }

  /**
   * Justified rows: photos join a row until it is as wide as the grid at the target height, then
   * the row shrinks to fit exactly. Only the last, unfinished row is redone when a page arrives
   * (`append`); a new width redoes them all.
   */
  #layout(append = false) {
    this.width = this.root.clientWidth;
    const { target, gap } = this.#metrics();
    this.metrics = { target, gap };
    let rows = this.rows;
    if (!append) rows = [];
    while (rows.length && !rows[rows.length - 1].full) rows.pop();
    let top = rows.length ? rows[rows.length - 1].top + rows[rows.length - 1].height + gap : 0;
    let start = rows.length ? rows[rows.length - 1].end : 0;
    let sum = 0;
    for (let i = start; i < this.items.length; i++) {
      sum += aspect(this.items[i].photo);
      const n = i - start + 1;
      if (sum * target + gap * (n - 1) >= this.width && this.width > 0) {
        const height = (this.width - gap * (n - 1)) / sum;
        rows.push({ top, height, start, end: i + 1, full: true });
        top += height + gap;
        start = i + 1;
        sum = 0;
      }
    }
    if (start < this.items.length) rows.push({ top, height: target, start, end: this.items.length, full: false });
    this.rows = rows;
    if (!append) { for (const tile of this.tiles.values()) tile.remove(); this.tiles.clear(); }
    this.height = Math.ceil(this.#estimatedHeight());
    this.canvas.style.setProperty("height", `${this.height}px`);
  }

  /** Laid-out rows plus an estimate for the photos not loaded yet (same photos per row as so far). */
  #estimatedHeight() {
    const last = this.rows[this.rows.length - 1];
    const laid = last ? last.top + last.height : 0;
    const missing = Math.max(0, this.total - this.items.length);
    if (!missing || !last) return laid;
    const { target, gap } = this.metrics;
    const perRow = this.items.length / this.rows.length || 1;
    return laid + gap + Math.ceil(missing / perRow) * (target * 0.9 + gap);
  }

  /** Puts the rows in and near the viewport in the DOM and takes the others out. */
  #render() {
    // The one layout read of a frame, before any write: the scrubber reuses it (`top`, `height`).
    const box = this.canvas.getBoundingClientRect();
    this.scrollY = window.scrollY;
    this.top = box.top + this.scrollY;
    const margin = window.innerHeight * WINDOW_MARGIN;
    const from = -box.top - margin, to = -box.top + window.innerHeight + margin;
    const last = this.rows[this.rows.length - 1];
    const laid = last ? last.top + last.height : 0;
    if (this.hasMore && !this.loading && to + PRELOAD_MARGIN > laid) {
      // Far past the loaded rows (a jump, the scrubber, End): catch up in the API's largest pages.
      this.loadMore(to - laid > 4 * window.innerHeight ? CATCH_UP_LIMIT : undefined);
    }
    const wanted = new Set();
    for (let r = firstRow(this.rows, from); r < this.rows.length && this.rows[r].top <= to; r++) {
      const row = this.rows[r];
      let x = 0;
      for (let i = row.start; i < row.end; i++) {
        const w = aspect(this.items[i].photo) * row.height;
        wanted.add(i);
        let tile = this.tiles.get(i);
        if (!tile) {
          tile = this.#tile(this.items[i], i);
          this.tiles.set(i, tile);
          this.canvas.append(tile);
        }
        place(tile, x, row.top, w, row.height);
        x += w + this.metrics.gap;
      }
    }
    for (const [i, tile] of this.tiles) {
      if (!wanted.has(i) && !tile.contains(document.activeElement)) { tile.remove(); this.tiles.delete(i); }
    }
  }

  /** @param {GridItem} item @param {number} index */
  #tile(item, index) {
    const p = item.photo;
    const ar = aspect(p);
    const selected = this.selection.has(p.id);
    const label = altText(p);
    return h("figure", { class: `tile${selected ? " is-selected" : ""}`, role: "listitem",
      "aria-posinset": String(index + 1), "aria-setsize": String(this.total || this.items.length),
      dataset: { index: String(index), id: p.id } },
      h("button", { type: "button", class: "tile-open", "aria-label": `Open ${tileName(p, index)}` },
        h("img", { src: p.thumbnail_url, alt: label, decoding: "async",
          width: String(Math.round(320 * ar)), height: "320" })),
      p.kind === "video"
        ? h("span", { class: "tile-video", "aria-hidden": "true" }, "▶ ", formatDuration(p.duration_s))
        : null,
      item.badge ? h("span", { class: "tile-badge", title: item.badgeLabel || "" }, item.badge) : null,
      h("button", { type: "button", class: "tile-select", "aria-pressed": String(selected),
        "aria-label": `Select ${p.filename}` }));
  }

  /**
   * Touch: a long press on a tile selects it (instead of opening it, and instead of the browser's
   * image menu); once something is selected, a tap selects too, as phone galleries do.
   */
  #wireLongPress() {
    let timer = 0, x = 0, y = 0;
    const cancel = () => { clearTimeout(timer); timer = 0; };
    this.root.addEventListener("pointerdown", (e) => {
      this.touch = e.pointerType === "touch";
      const tile = /** @type {HTMLElement} */ (e.target).closest(".tile");
      if (!tile || !this.touch || /** @type {HTMLElement} */ (e.target).closest(".tile-select")) return;
      x = e.clientX; y = e.clientY;
      cancel();
      timer = setTimeout(() => {
        timer = 0;
        this.pressed = true;
        this.#choose(Number(tile.dataset.index), false);
        navigator.vibrate?.(15);
      }, LONG_PRESS_MS);
    });
    this.root.addEventListener("pointermove", (e) => {
      if (timer && Math.hypot(e.clientX - x, e.clientY - y) > LONG_PRESS_SLOP_PX) cancel();
    });
    for (const type of ["pointerup", "pointercancel"]) this.root.addEventListener(type, cancel);
    this.root.addEventListener("contextmenu", (e) => {
      if (this.touch && /** @type {HTMLElement} */ (e.target).closest(".tile")) e.preventDefault();
    });
  }

  /** Toggles a tile, or with `range` selects every tile from the anchor to it. */
  #choose(index, range) {
    if (range && this.anchor >= 0 && this.anchor < this.items.length) {
      const [a, b] = this.anchor < index ? [this.anchor, index] : [index, this.anchor];
      this.selection.addAll(this.items.slice(a, b + 1).map((i) => i.photo.id));
    } else {
      this.selection.toggle(this.items[index].photo.id);
    }
    this.anchor = index;
  }

  #onClick(e) {
    const target = /** @type {HTMLElement} */ (e.target);
    const tile = target.closest(".tile");
    if (!tile) return;
    const index = Number(tile.dataset.index);
    if (this.pressed) {  // the click that ends a long press: already selected
      this.pressed = false;
      e.preventDefault();
      return;
    }
    if (target.closest(".tile-select")) {
      this.#choose(index, e.shiftKey);
    } else if (target.closest(".tile-open")) {
      const selecting = this.selection.size > 0;
      if (selecting && (e.shiftKey || e.ctrlKey || e.metaKey || this.touch)) this.#choose(index, e.shiftKey);
      else this.onOpen(index);
    }
  }

  /** Loads every page (for "select all" / "download all"), stopping once more than `cap` are listed. */
  async loadAll(cap) {
    while (this.hasMore && this.items.length <= cap) {
      const before = this.items.length;
      await this.loadMore();
      if (this.items.length === before && this.loading === null && !this.hasMore) break;
    }
    return this.items;
  }

  #syncSelected(id) {
    for (const tile of this.tiles.values()) {
      if (id !== null && tile.dataset.id !== id) continue;
      const on = this.selection.has(tile.dataset.id);
      tile.classList.toggle("is-selected", on);
      tile.querySelector(".tile-select")?.setAttribute("aria-pressed", String(on));
    }
    this.root.classList.toggle("is-selecting", this.selection.size > 0);
  }

  /** Moves keyboard focus to a tile (used when the lightbox closes), scrolling it into the window. */
  focusTile(index) {
    if (!this.tiles.has(index)) {
      const row = this.rows.find((r) => r.start <= index && index < r.end);
      if (!row) return;
      const top = this.canvas.getBoundingClientRect().top + window.scrollY + row.top;
      window.scrollTo({ top: Math.max(0, top - window.innerHeight / 3) });
      this.#render();
    }
    const tile = this.tiles.get(index)?.querySelector(".tile-open");
    if (tile) /** @type {HTMLElement} */ (tile).focus({ preventScroll: false });
  }
}

/** A photo's width / height, kept between 0.4 and 3 so a panorama or a strip stays a tile. */
function aspect(p) {
  return Math.min(Math.max((p.width || 4) / (p.height || 3), 0.4), 3);
}

/** Positions a tile; a tile already there is left alone (no style writes while scrolling). */
function place(tile, x, y, w, hgt) {
  const at = `${x.toFixed(1)},${y.toFixed(1)},${w.toFixed(1)},${hgt.toFixed(1)}`;
  if (tile.dataset.at === at) return;
  tile.dataset.at = at;
  tile.style.setProperty("transform", `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px)`);
  tile.style.setProperty("width", `${w.toFixed(1)}px`);
  tile.style.setProperty("height", `${hgt.toFixed(1)}px`);
}

/** The first row whose bottom is below `y` (binary search: rows are in order). */
function firstRow(rows, y) {
  let lo = 0, hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].top + rows[mid].height < y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A tile's accessible name: what it shows, then its file name, so alike photos are told apart. */
function tileName(p, index) {
  const what = altText(p);
  return p.filename && !what.includes(p.filename) ? `${what} (${p.filename})` : what || `Photo ${index + 1}`;
}

/** Alt text for a photo: the API's alt, else its description, else the file name. */
export function altText(p) {
  return p.alt || p.scene_description || p.filename || "Photo";
}
