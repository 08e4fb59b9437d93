/**
 * The photo grid: justified rows laid out here from each photo's width/height (no layout shift),
 * of which only the rows near the viewport are in the DOM (a window): 100,000 photos cost the
 * nodes of a few screens, and the thumbnails requested are the ones on screen, never a queue of
 * off-screen ones. The list comes in blocks of BLOCK photos at fixed positions, each laid out on
 * its own, so a jump anywhere (the scrubber, End, a fling) loads the block where it lands first
 * (by offset, where the source can seek) instead of every page before it. Blocks not loaded yet
 * are as tall as an estimate; when one above the viewport loads, the page scrolls by the
 * difference, so what is on screen stays put.
 */
import { h, formatDuration } from "../lib/dom.js";

/** @typedef {{photo: any, badge?: string, badgeLabel?: string}} GridItem */
/** @typedef {{offset: number, cursor: string|null}} PageAt */
/** @typedef {(at: PageAt, signal: AbortSignal, limit: number) => Promise<{items: GridItem[], next_cursor: string|null, total: number}>} PageLoader */

/** Photos per block: one request each (the photo API takes up to 500, search up to 200). */
export const BLOCK = 200;
/** Rows kept in the DOM above and below the viewport, in viewport heights. */
const WINDOW_MARGIN = 1;
/** Blocks this far (px) past the window load ahead, so scrolling rarely meets an empty one. */
const PRELOAD_MARGIN = 1600;
/** Blocks loading at once (those on screen first); a block the window left is aborted. */
const MAX_LOADS = 2;
/** Blocks kept in memory; past that the farthest from the viewport are dropped (their height stays). */
const MAX_BLOCKS_KEPT = 40;
const LONG_PRESS_MS = 500;
/** Scrolling counts as over once no scroll event came for this long. */
const SCROLL_IDLE_MS = 150;
const LONG_PRESS_SLOP_PX = 10;

/** @typedef {{top: number, height: number, start: number, end: number}} Row */
/** @typedef {{items: GridItem[]|null, rows: Row[]|null, height: number, measured: boolean,
 *             cursor: string|null, load: {controller: AbortController, promise: Promise<void>}|null,
 *             failed: boolean}} Block */

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
    this.total = 0;
    /** @type {Block[]} */
    this.blocks = [];
    /** Each block's top in the canvas (one more entry: the canvas's height). */
    this.tops = [0];
    /** Whether a block can be asked for by position (the photo list), or only after the one before (search). */
    this.seekable = false;
    this.generation = null;
    /** @type {PageLoader|null} */
    this.loader = null;
    this.width = 0;
    this.metrics = { target: 220, gap: 6 };
    /** Photos per row and a row's height, from the first block laid out at this width (for estimates). */
    this.estimate = null;
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
    // While scrolling, tiles take no hover (no zoom transitions starting under a still pointer).
    let still = 0;
    window.addEventListener("scroll", () => {
      if (!still) this.root.classList.add("is-scrolling");
      clearTimeout(still);
      still = setTimeout(() => { still = 0; this.root.classList.remove("is-scrolling"); }, SCROLL_IDLE_MS);
    }, { passive: true });
    new ResizeObserver(() => {
      if (this.root.clientWidth !== this.width) { this.#relayout(); schedule(); }
    }).observe(this.root);
    this.schedule = schedule;
  }

  /**
   * Replaces what the grid shows; the first block loads at once. `seekable` when the loader can
   * start at any offset (else block n waits for block n-1's cursor).
   * @param {PageLoader} loader
   */
  setSource(loader, { seekable = false } = {}) {
    this.generation?.abort();
    for (const block of this.blocks) block.load?.controller.abort();
    this.generation = new AbortController();
    this.loader = loader;
    this.seekable = seekable;
    this.total = 0;
    this.blocks = [];
    this.tops = [0];
    this.estimate = null;
    this.anchor = -1;
    this.tiles.clear();
    this.canvas.replaceChildren();
    this.height = 0;
    this.canvas.style.setProperty("height", "0px");
    this.root.setAttribute("aria-busy", "true");
    this.blocks.push(emptyBlock());
    return this.#load(0);
  }

  /** How many photos the list holds (all of them, loaded or not). */
  get count() { return this.total; }

  /** Whether some of the list is not loaded yet. */
  get hasMore() { return this.blocks.some((b) => !b.items); }

  /** The item at a position, if its block is loaded. @returns {GridItem|undefined} */
  item(index) {
    return this.blocks[Math.floor(index / BLOCK)]?.items?.[index % BLOCK];
  }

  /** The position of a loaded photo, or -1. */
  indexOf(id) {
    for (let b = 0; b < this.blocks.length; b++) {
      const i = this.blocks[b].items?.findIndex((x) => x.photo.id === id) ?? -1;
      if (i >= 0) return b * BLOCK + i;
    }
    return -1;
  }

  /** Loads the block holding `index` (and, for a source that cannot seek, every block before it). */
  async loadAt(index) {
    const b = Math.floor(index / BLOCK);
    if (!this.seekable) {
      for (let k = 0; k < b && k < this.blocks.length; k++) if (!this.blocks[k].items) await this.#load(k);
    }
    if (b < this.blocks.length && !this.blocks[b].items) await this.#load(b);
  }

  /** Loads block `b` (once; a second call joins the first); resolves when it is laid out. */
  #load(b) {
    const block = this.blocks[b];
    if (block.items) return Promise.resolve();
    if (block.load) return block.load.promise;
    const generation = this.generation;
    const controller = new AbortController();
    const signal = AbortSignal.any ? AbortSignal.any([controller.signal, generation.signal]) : generation.signal;
    const at = { offset: b * BLOCK, cursor: b > 0 && !this.seekable ? this.blocks[b - 1].cursor : null };
    const first = b === 0;
    const promise = this.loader(at, signal, BLOCK)
      .then((page) => {
        if (signal.aborted) return;
        block.items = page.items.slice(0, BLOCK);
        block.cursor = page.next_cursor;
        // In order, the list ends where the cursor does (a search's total may be an estimate).
        const total = this.seekable || page.next_cursor ? page.total : b * BLOCK + block.items.length;
        if (first || total !== this.total) this.#resize(total, b, block);
        this.#layoutBlock(b);
        this.root.removeAttribute("aria-busy");
        this.onPage({ total: this.total, items: block.items, first });
        this.#evict();
      })
      .catch((err) => {
        if (signal.aborted || err.name === "AbortError") return;
        block.failed = true;  // said once, not asked again every frame
        this.root.removeAttribute("aria-busy");
        this.onError(err);
      })
      .finally(() => {
        if (block.load?.controller === controller) block.load = null;
        if (!generation.signal.aborted) this.#render();
      });
    block.load = { controller, promise };
    return promise;
  }

  /** The list's length as the server last said it: as many blocks as it takes. */
  #resize(total, b, block) {
    this.total = Math.max(total, b * BLOCK + block.items.length);
    const n = Math.max(1, Math.ceil(this.total / BLOCK));
    while (this.blocks.length < n) this.blocks.push(emptyBlock());
    if (this.blocks.length > n) {
      for (const gone of this.blocks.splice(n)) gone.load?.controller.abort();
    }
    this.#positions();
  }

  /** The row geometry: target height and gap from the CSS (--row-h, --gap), width from the root. */
  #metrics() {
    const css = getComputedStyle(this.root);
    return {
      target: parseFloat(css.getPropertyValue("--row-h")) || 220,
      gap: parseFloat(css.getPropertyValue("--gap")) || 6,
    };
  }

  /** A new width or row height: every loaded block is laid out again and the estimates redone. */
  #relayout() {
    this.width = this.root.clientWidth;
    this.metrics = this.#metrics();
    this.estimate = null;
    for (const tile of this.tiles.values()) tile.remove();
    this.tiles.clear();
    for (const block of this.blocks) { block.rows = null; block.measured = false; }
    for (let b = 0; b < this.blocks.length; b++) if (this.blocks[b].items) this.#layoutBlock(b, false);
    this.#positions();
  }

  /**
   * Justified rows within one block: photos join a row until it is as wide as the grid at the
   * target height, then the row shrinks to fit exactly. A block's last row is justified too when
   * it is most of a row, else it keeps the target height (left-aligned), as the list's last row.
   */
  #layoutBlock(b, anchor = true) {
    if (!this.width) { this.width = this.root.clientWidth; this.metrics = this.#metrics(); }
    const { target, gap } = this.metrics;
    const block = this.blocks[b];
    const items = /** @type {GridItem[]} */ (block.items);
    const rows = [];
    let top = 0, start = 0, sum = 0;
    for (let i = 0; i < items.length; i++) {
      sum += aspect(items[i].photo);
      const n = i - start + 1;
      const natural = sum * target + gap * (n - 1);
      const lastOfBlock = i === items.length - 1;
      if ((natural >= this.width || (lastOfBlock && natural >= this.width * 0.75)) && this.width > 0) {
        const height = (this.width - gap * (n - 1)) / sum;
        rows.push({ top, height, start, end: i + 1 });
        top += height + gap;
        start = i + 1;
        sum = 0;
      }
    }
    if (start < items.length) { rows.push({ top, height: target, start, end: items.length }); top += target + gap; }
    block.rows = rows;
    if (!this.estimate && rows.length > 1) {
      const full = rows.slice(0, -1);
      this.estimate = { perRow: (full[full.length - 1].end) / full.length,
        rowHeight: full.reduce((s, r) => s + r.height, 0) / full.length };
    }
    const before = this.tops[b + 1] - this.tops[b];
    block.height = top;
    block.measured = true;
    if (!anchor) return;
    const blockTop = this.tops[b];
    this.#positions();
    const delta = (this.tops[b + 1] - this.tops[b]) - before;
    // A block that grew or shrank above what is on screen: scroll by as much, so nothing moves.
    if (delta && b > 0 && blockTop + before <= window.scrollY - this.top) window.scrollBy(0, delta);
  }

  /** Each block's top: measured blocks as laid out, the others as the estimate says. */
  #positions() {
    const { target, gap } = this.metrics;
    const est = this.estimate || { perRow: Math.max(1, this.width / (target * 1.4)), rowHeight: target };
    const tops = [0];
    for (let b = 0; b < this.blocks.length; b++) {
      const block = this.blocks[b];
      const photos = Math.min(BLOCK, this.total - b * BLOCK);
      const height = block.measured ? block.height : Math.ceil(photos / est.perRow) * (est.rowHeight + gap);
      tops.push(tops[b] + height);
    }
    this.tops = tops;
    this.height = Math.ceil(Math.max(0, tops[tops.length - 1] - gap));
    this.canvas.style.setProperty("height", `${this.height}px`);
  }

  /** The block at canvas height `y` (binary search: blocks are in order). */
  #blockAt(y) {
    let lo = 0, hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tops[mid] <= y) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Puts the rows in and near the viewport in the DOM, takes the others out, and loads the
   * blocks the window reaches (those on screen first). */
  #render() {
    // The one layout read of a frame, before any write: the scrubber reuses it (`top`, `height`).
    const box = this.canvas.getBoundingClientRect();
    this.scrollY = window.scrollY;
    this.top = box.top + this.scrollY;
    if (!this.blocks.length) return;
    const margin = window.innerHeight * WINDOW_MARGIN;
    const seeFrom = -box.top, seeTo = -box.top + window.innerHeight;
    const from = seeFrom - margin, to = seeTo + margin;
    this.#fetch(seeFrom, seeTo, to + PRELOAD_MARGIN);
    const wanted = new Set();
    const { gap } = this.metrics;
    /** @type {{b: number, row: Row, on: boolean}[]} */
    const rows = [];
    for (let b = this.#blockAt(Math.max(0, from)); b < this.blocks.length && this.tops[b] <= to; b++) {
      const block = this.blocks[b];
      if (!block.rows) continue;
      const base = this.tops[b];
      for (let r = firstRow(block.rows, from - base); r < block.rows.length && base + block.rows[r].top <= to; r++) {
        const row = block.rows[r], top = base + row.top;
        rows.push({ b, row, on: top + row.height > seeFrom && top < seeTo });
      }
    }
    // The rows on screen first: a new tile's thumbnail is requested when it is made, so those on
    // screen go ahead of the margin's (and ask for a higher priority).
    rows.sort((p, q) => Number(q.on) - Number(p.on));
    for (const { b, row, on } of rows) {
      const items = /** @type {GridItem[]} */ (this.blocks[b].items);
      const top = this.tops[b] + row.top, offset = b * BLOCK;
      let x = 0;
      for (let i = row.start; i < row.end; i++) {
        const item = items[i];
        const w = aspect(item.photo) * row.height;
        const index = offset + i;
        wanted.add(index);
        let tile = this.tiles.get(index);
        if (!tile) {
          tile = this.#tile(item, index, on);
          this.tiles.set(index, tile);
          this.canvas.append(tile);
        }
        place(tile, x, top, w, row.height);
        x += w + gap;
      }
    }
    for (const [i, tile] of this.tiles) {
      if (!wanted.has(i) && !tile.contains(document.activeElement)) { tile.remove(); this.tiles.delete(i); }
    }
  }

  /**
   * Starts loading blocks the window reaches: those on screen ([seeFrom, seeTo]) first, then the
   * ones ahead (to `ahead`); loads of blocks the window has left are aborted, so a fling or a
   * drag of the scrubber does not leave a queue behind it.
   */
  #fetch(seeFrom, seeTo, ahead) {
    const first = this.#blockAt(Math.max(0, seeFrom - PRELOAD_MARGIN));
    const last = this.#blockAt(Math.max(0, ahead));
    if (this.seekable) {
      for (let b = 0; b < this.blocks.length; b++) {
        const load = this.blocks[b].load;
        if (load && (b < first || b > last)) { load.controller.abort(); this.blocks[b].load = null; }
      }
    }
    let busy = this.blocks.filter((b) => b.load).length;
    if (!this.seekable) {
      // Only in order: the first block not loaded yet, if the window reaches it.
      const next = this.blocks.findIndex((b) => !b.items);
      if (next >= 0 && next <= last && !busy && !this.blocks[next].failed) this.#load(next);
      return;
    }
    const onScreen = [this.#blockAt(Math.max(0, seeFrom)), this.#blockAt(Math.max(0, seeTo))];
    const order = [];
    for (let b = onScreen[0]; b <= onScreen[1]; b++) order.push(b);
    for (let b = onScreen[1] + 1; b <= last; b++) order.push(b);
    for (let b = onScreen[0] - 1; b >= first; b--) order.push(b);
    for (const b of order) {
      if (busy >= MAX_LOADS) break;
      const block = this.blocks[b];
      if (block.items || block.load || block.failed) continue;
      this.#load(b);
      busy++;
    }
  }

  /** Drops the photos of the blocks farthest from the viewport past MAX_BLOCKS_KEPT (a seekable
   * source loads them again if they come back); their measured height stays, so nothing moves. */
  #evict() {
    if (!this.seekable) return;
    const loaded = [];
    for (let b = 0; b < this.blocks.length; b++) if (this.blocks[b].items) loaded.push(b);
    if (loaded.length <= MAX_BLOCKS_KEPT) return;
    const here = this.#blockAt(Math.max(0, window.scrollY - this.top));
    loaded.sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
    for (const b of loaded.slice(0, loaded.length - MAX_BLOCKS_KEPT)) {
      const block = this.blocks[b];
      for (let i = b * BLOCK; i < (b + 1) * BLOCK; i++) {
        const tile = this.tiles.get(i);
        if (tile && !tile.contains(document.activeElement)) { tile.remove(); this.tiles.delete(i); }
      }
      block.items = null;
      block.rows = null;
    }
  }

  /** @param {GridItem} item @param {number} index @param {boolean} onScreen */
  #tile(item, index, onScreen) {
    const p = item.photo;
    const ar = aspect(p);
    const selected = this.selection.has(p.id);
    const label = altText(p);
    return h("figure", { class: `tile${selected ? " is-selected" : ""}`, role: "listitem",
      "aria-posinset": String(index + 1), "aria-setsize": String(this.total),
      dataset: { index: String(index), id: p.id } },
      h("button", { type: "button", class: "tile-open", "aria-label": `Open ${tileName(p, index)}` },
        h("img", { fetchpriority: onScreen ? "high" : "low", src: p.thumbnail_url, srcset: srcset(p), alt: label, decoding: "async",
          width: String(Math.round(320 * ar)), height: "320", onerror: dropSrcset })),
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
    if (range && this.anchor >= 0 && this.anchor < this.total) {
      const [a, b] = this.anchor < index ? [this.anchor, index] : [index, this.anchor];
      const ids = [];
      for (let i = a; i <= b; i++) { const item = this.item(i); if (item) ids.push(item.photo.id); }
      this.selection.addAll(ids);
    } else {
      const item = this.item(index);
      if (item) this.selection.toggle(item.photo.id);
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

  /** Loads every block in order (for "select all" / "download all"), stopping once more than
   * `cap` are listed; the items loaded. */
  async loadAll(cap) {
    const out = [];
    for (let b = 0; b < this.blocks.length && out.length <= cap; b++) {
      await this.#load(b);
      const items = this.blocks[b]?.items;
      if (!items) break;
      out.push(...items);
    }
    return out;
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
      const b = Math.floor(index / BLOCK);
      const row = this.blocks[b]?.rows?.find((r) => r.start <= index % BLOCK && index % BLOCK < r.end);
      if (!row) return;
      const top = this.canvas.getBoundingClientRect().top + window.scrollY + this.tops[b] + row.top;
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

/** The 1x and 2x thumbnails for high-density screens; none when the two are one (a photo analyzed
 * before the 2x rendition existed gets its 1x one, never a broken image). */
function srcset(p) {
  return p.thumbnail_2x_url && p.thumbnail_2x_url !== p.thumbnail_url
    ? `${p.thumbnail_url} 1x, ${p.thumbnail_2x_url} 2x` : undefined;
}

/** A 2x thumbnail that fails (gone from the store) gives way to the 1x one. @this {HTMLImageElement} */
function dropSrcset() {
  if (this.hasAttribute("srcset")) this.removeAttribute("srcset");
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

function emptyBlock() {
  return /** @type {Block} */ ({ items: null, rows: null, height: 0, measured: false, cursor: null, load: null, failed: false });
}
