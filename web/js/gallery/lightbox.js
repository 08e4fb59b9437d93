/**
 * Full-size viewer in a native <dialog> (focus trap, Esc and the top layer for free): arrows and
 * swipes move through the grid's list, loading more pages at its end; videos stream by Range.
 */
import { eventSlug, qs } from "../lib/api.js";
import { h, formatDate, formatDuration } from "../lib/dom.js";
import { altText } from "./grid.js";

const SWIPE_PX = 50;
const SWIPE_DOWN_PX = 80;
const MAX_ZOOM = 4;
const DOUBLE_TAP_ZOOM = 2.5;

export class Lightbox {
  /**
   * @param {{grid: import("./grid.js").Grid, selection: import("./selection.js").Selection,
   *          onChange: (photoId: string, how: "open"|"step"|"close") => void}} opts
   */
  constructor(opts) {
    this.grid = opts.grid;
    this.selection = opts.selection;
    this.onChange = opts.onChange;
    this.dialog = /** @type {HTMLDialogElement} */ (document.getElementById("lightbox"));
    this.stage = document.getElementById("lb-stage");
    this.info = document.getElementById("lb-info");
    this.prevBtn = /** @type {HTMLButtonElement} */ (document.getElementById("lb-prev"));
    this.nextBtn = /** @type {HTMLButtonElement} */ (document.getElementById("lb-next"));
    /** @type {any[]|null} a standalone list (a shared link to a photo not in the grid) */
    this.standalone = null;
    this.index = -1;

    this.closeBtn = /** @type {HTMLButtonElement} */ (document.getElementById("lb-close"));
    /** Set while the page closes the viewer itself (Back): the close is not reported as a step. */
    this.quiet = false;
    this.zoom = { scale: 1, x: 0, y: 0 };

    this.prevBtn.addEventListener("click", () => this.step(-1));
    this.nextBtn.addEventListener("click", () => this.step(1));
    this.closeBtn.addEventListener("click", () => this.dialog.close());
    // On the document, not the dialog: a click on Download or a button that goes disabled can leave
    // focus on <body>, and the arrows must keep working wherever focus is while the viewer is open.
    document.addEventListener("keydown", (e) => this.#onKey(e));
    this.dialog.addEventListener("close", () => this.#onClose());
    this.dialog.addEventListener("click", (e) => { if (e.target === this.dialog) this.dialog.close(); });
    this.#wireGestures();
    this.selection.subscribe(() => this.#syncSelectButton());
  }

  /**
   * Touch: a sideways swipe browses, a swipe down closes, two fingers pinch-zoom (one finger then
   * pans), a double tap toggles zoom. Pointer events, so a mouse drag behaves the same.
   */
  #wireGestures() {
    /** @type {Map<number, {x: number, y: number}>} */
    const pointers = new Map();
    let start = null;  // the gesture's first pointer and the zoom it began with
    let pinch = null;  // {distance, scale} when the second finger went down
    let pinched = false;
    const distance = () => {
      const [a, b] = [...pointers.values()];
      return Math.hypot(a.x - b.x, a.y - b.y);
    };
    this.stage.addEventListener("pointerdown", (e) => {
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (pointers.size === 1) {
        start = { x: e.clientX, y: e.clientY, zx: this.zoom.x, zy: this.zoom.y };
        pinched = false;
      } else if (pointers.size === 2) {
        pinch = { distance: distance() || 1, scale: this.zoom.scale };
        pinched = true;
      }
    });
    this.stage.addEventListener("pointermove", (e) => {
      if (!pointers.has(e.pointerId)) return;
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (pointers.size >= 2 && pinch) {
        this.#setZoom(pinch.scale * (distance() / pinch.distance), this.zoom.x, this.zoom.y);
      } else if (pointers.size === 1 && start && this.zoom.scale > 1) {
        this.#setZoom(this.zoom.scale, start.zx + e.clientX - start.x, start.zy + e.clientY - start.y);
      }
    });
    const end = (e) => {
      if (!pointers.delete(e.pointerId)) return;
      if (pointers.size < 2) pinch = null;
      if (pointers.size > 0 || !start) return;
      const dx = e.clientX - start.x, dy = e.clientY - start.y;
      start = null;
      if (pinched || this.zoom.scale > 1 || e.type === "pointercancel") return;
      if (Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(dy) * 1.5) this.step(dx < 0 ? 1 : -1);
      else if (dy > SWIPE_DOWN_PX && dy > Math.abs(dx) * 1.5) this.dialog.close();
    };
    this.stage.addEventListener("pointerup", end);
    this.stage.addEventListener("pointercancel", end);
    this.stage.addEventListener("dblclick", (e) => {
      if (this.zoom.scale > 1) this.#setZoom(1, 0, 0);
      else this.#setZoom(DOUBLE_TAP_ZOOM, 0, 0);
      e.preventDefault();
    });
  }

  #setZoom(scale, x, y) {
    const s = Math.min(MAX_ZOOM, Math.max(1, scale));
    this.zoom = s === 1 ? { scale: 1, x: 0, y: 0 } : { scale: s, x, y };
    const media = this.stage.querySelector("img.lb-media");
    if (!media) return;
    if (s === 1) media.style.removeProperty("transform");
    else media.style.setProperty("transform", `translate(${this.zoom.x}px, ${this.zoom.y}px) scale(${s})`);
    this.stage.classList.toggle("is-zoomed", s > 1);
  }

  /** The open photo's id, or "" when closed. */
  get currentId() { return this.isOpen ? (this.list[this.index]?.id || "") : ""; }

  /** Closes the viewer; `quiet` when the page does it (Back), so it is not reported as a step. */
  close({ quiet = false } = {}) {
    if (!this.dialog.open) return;
    this.quiet = quiet;
    this.dialog.close();
  }

  get list() { return this.standalone || this.grid.items.map((i) => i.photo); }
  get isOpen() { return this.dialog.open; }

  /** Opens the photo at a grid index. */
  open(index) {
    this.standalone = null;
    this.#show(index);
  }

  /** Opens a single photo that is not (yet) in the grid, e.g. from a shared link. */
  openPhoto(photo) {
    this.standalone = [photo];
    this.#show(0);
  }

  async step(delta) {
    const next = this.index + delta;
    if (next < 0) return;
    if (next >= this.list.length) {
      if (this.standalone || !this.grid.hasMore) return;
      await this.grid.loadMore();
      if (next >= this.list.length) return;
    }
    this.#show(next);
  }

  #show(index) {
    const photo = this.list[index];
    if (!photo) return;
    const opening = !this.dialog.open;
    const focused = document.activeElement;
    this.index = index;
    this.zoom = { scale: 1, x: 0, y: 0 };
    this.stage.classList.remove("is-zoomed");
    this.stage.replaceChildren(this.#media(photo));
    this.info.replaceChildren(...this.#details(photo));
    this.prevBtn.disabled = index === 0;
    this.nextBtn.disabled = index >= this.list.length - 1 && (this.standalone !== null || !this.grid.hasMore);
    if (opening) this.dialog.showModal();
    // Keep focus in the viewer: the button it was on may just have gone disabled (the last
    // photo) or been replaced with the details, and a dialog that loses focus loses the arrows.
    else if (!this.dialog.contains(focused) || (focused instanceof HTMLButtonElement && focused.disabled)
      || !focused?.isConnected) this.closeBtn.focus();
    this.onChange(photo.id, opening ? "open" : "step");
    this.#preload(index + 1);
  }

  #media(photo) {
    if (photo.kind === "video") {
      return h("video", { class: "lb-media", controls: true, preload: "metadata", playsinline: true,
        poster: photo.preview_url || photo.thumbnail_url, src: photo.play_url || photo.original_url,
        "aria-label": altText(photo) });
    }
    const img = h("img", { class: "lb-media", src: photo.preview_url || photo.original_url, alt: altText(photo),
      width: photo.width || undefined, height: photo.height || undefined, decoding: "async" });
    return img;
  }

  #details(photo) {
    const sel = this.selection.has(photo.id);
    const out = [
      h("h2", { class: "lb-title" }, photo.filename),
      h("p", { class: "lb-meta" }, [formatDate(photo.taken_at), photo.folder,
        photo.kind === "video" ? `Video ${formatDuration(photo.duration_s)}` : null,
        photo.width && photo.height ? `${photo.width}×${photo.height}` : null].filter(Boolean).join(" · ")),
    ];
    if (photo.scene_description) out.push(section("Description", photo.scene_description));
    if (photo.people_descriptions && photo.people_descriptions.length) out.push(section("People", photo.people_descriptions));
    if (photo.visible_text) out.push(section("Visible text", photo.visible_text, "lb-text"));
    out.push(h("div", { class: "lb-actions" },
      h("a", { class: "btn btn-primary", href: photo.original_url, download: photo.filename,
        onclick: () => setTimeout(() => this.#keepFocus(), 0) }, "Download"),
      h("button", { type: "button", class: "btn lb-select", "aria-pressed": String(sel),
        onclick: (e) => { this.selection.toggle(photo.id); e.currentTarget.focus(); } }, sel ? "Selected ✓" : "Select"),
      photo.kind === "video"
        ? h("a", { class: "btn", href: `/video.html${qs({ event: eventSlug(), id: photo.id })}` }, "Open in player")
        : null));
    const touch = window.matchMedia("(pointer: coarse)").matches;
    out.push(h("p", { class: "lb-hint muted" },
      touch ? "Swipe sideways to browse · down to close · pinch to zoom" : "← → to browse · Esc to close"));
    return out;
  }

  /** Puts focus back in the viewer if something (a download starting) took it away. */
  #keepFocus() {
    if (this.dialog.open && !this.dialog.contains(document.activeElement)) this.closeBtn.focus();
  }

  #syncSelectButton() {
    const btn = this.info.querySelector(".lb-select");
    const photo = this.list[this.index];
    if (!btn || !photo) return;
    const sel = this.selection.has(photo.id);
    btn.setAttribute("aria-pressed", String(sel));
    btn.textContent = sel ? "Selected ✓" : "Select";
  }

  #preload(index) {
    const p = this.list[index];
    if (p && p.kind !== "video" && p.preview_url) new Image().src = p.preview_url;
  }

  #onKey(e) {
    if (!this.dialog.open || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target instanceof HTMLVideoElement && (e.key === "ArrowLeft" || e.key === "ArrowRight")) return;
    if (e.key === "ArrowRight") { e.preventDefault(); this.step(1); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); this.step(-1); }
  }

  #onClose() {
    const video = this.stage.querySelector("video");
    if (video) video.pause();
    this.stage.replaceChildren();
    const index = this.index;
    this.index = -1;
    const quiet = this.quiet;
    this.quiet = false;
    if (!quiet) this.onChange("", "close");
    if (!this.standalone) this.grid.focusTile(index);
    this.standalone = null;
  }
}

function section(title, value, cls = "") {
  const text = Array.isArray(value) ? value.join(" · ") : String(value);
  return h("section", { class: `lb-section ${cls}` }, h("h3", {}, title), h("p", {}, text));
}
