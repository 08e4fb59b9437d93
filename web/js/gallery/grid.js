/**
 * The photo grid: justified rows sized from each photo's width/height (no layout shift), filled
 * page by page as a sentinel nears the viewport. Each page is its own section with
 * `content-visibility: auto`, so 10,000 photos cost layout only for the pages on screen.
 */
import { h, formatDuration } from "../lib/dom.js";

/** @typedef {{photo: any, badge?: string, badgeLabel?: string}} GridItem */
/** @typedef {(cursor: string|null, signal: AbortSignal) => Promise<{items: GridItem[], next_cursor: string|null, total: number}>} PageLoader */

const PRELOAD_MARGIN = 1600;
const LONG_PRESS_MS = 500;
const LONG_PRESS_SLOP_PX = 10;

export class Grid {
  /**
   * @param {{root: HTMLElement, sentinel: HTMLElement, selection: import("./selection.js").Selection,
   *          onOpen: (index: number) => void, onPage: (info: {total: number, items: GridItem[], first: boolean}) => void,
   *          onError: (err: Error) => void}} opts
   */
  constructor(opts) {
    this.root = opts.root;
    this.sentinel = opts.sentinel;
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
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.loadMore();
    }, { rootMargin: `${PRELOAD_MARGIN}px 0px` });
    this.observer.observe(this.sentinel);
    /** The last tile chosen one by one: a shift-click selects from it to the clicked tile. */
    this.anchor = -1;
    /** Set by a long press, so the click that ends it selects rather than opens. */
    this.pressed = false;
    this.touch = false;
    this.root.addEventListener("click", (e) => this.#onClick(e));
    this.#wireLongPress();
    this.selection.subscribe((id) => this.#syncSelected(id));
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
    this.root.replaceChildren();
    this.root.setAttribute("aria-busy", "true");
    return this.loadMore();
  }

  /** Loads the next page unless one is loading or none is left; resolves when it is on screen. */
  loadMore() {
    if (this.loading || !this.hasMore || !this.loader) return this.loading || Promise.resolve();
    const controller = this.controller;
    const first = this.items.length === 0;
    this.loading = this.loader(this.cursor, controller.signal)
      .then((page) => {
        if (controller.signal.aborted) return;
        this.cursor = page.next_cursor;
        this.hasMore = Boolean(page.next_cursor) && page.items.length > 0;
        this.total = page.total;
        this.#append(page.items);
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
        if (!controller.signal.aborted) requestAnimationFrame(() => this.#fillViewport());
      });
    return this.loading;
  }

  /** Keeps loading while the sentinel is still near the viewport (an observer fires only on change). */
  #fillViewport() {
    if (!this.hasMore || this.loading) return;
    const top = this.sentinel.getBoundingClientRect().top;
    if (top < window.innerHeight + PRELOAD_MARGIN) this.loadMore();
  }

  /** @param {GridItem[]} items */
  #append(items) {
    if (!items.length) return;
    const start = this.items.length;
    this.items.push(...items);
    const section = h("div", { class: "grid-section", role: "list" });
    items.forEach((item, i) => section.append(this.#tile(item, start + i)));
    this.root.append(section);
  }

  /** @param {GridItem} item @param {number} index */
  #tile(item, index) {
    const p = item.photo;
    const w = p.width || 4, hgt = p.height || 3;
    const ar = Math.min(Math.max(w / hgt, 0.4), 3);
    const selected = this.selection.has(p.id);
    const label = altText(p);
    return h("figure", { class: `tile${selected ? " is-selected" : ""}`, role: "listitem",
      style: { "--ar": ar.toFixed(4) }, dataset: { index: String(index), id: p.id } },
      h("button", { type: "button", class: "tile-open", "aria-label": `Open ${label}` },
        h("img", { src: p.thumbnail_url, alt: label, loading: "lazy", decoding: "async",
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
    const tiles = id === null ? this.root.querySelectorAll(".tile")
      : this.root.querySelectorAll(`.tile[data-id="${CSS.escape(id)}"]`);
    for (const tile of tiles) {
      const on = this.selection.has(/** @type {HTMLElement} */ (tile).dataset.id);
      tile.classList.toggle("is-selected", on);
      tile.querySelector(".tile-select")?.setAttribute("aria-pressed", String(on));
    }
    this.root.classList.toggle("is-selecting", this.selection.size > 0);
  }

  /** Moves keyboard focus to a tile (used when the lightbox closes). */
  focusTile(index) {
    const tile = this.root.querySelector(`.tile[data-index="${index}"] .tile-open`);
    if (tile) /** @type {HTMLElement} */ (tile).focus({ preventScroll: false });
  }
}

/** Alt text for a photo: the API's alt, else its description, else the file name. */
export function altText(p) {
  return p.alt || p.scene_description || p.filename || "Photo";
}
