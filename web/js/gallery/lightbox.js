/**
 * Full-size viewer in a native <dialog> (focus trap, Esc and the top layer for free): arrows and
 * swipes move through the grid's list, loading more pages at its end; videos stream by Range.
 */
import { h, formatDate, formatDuration } from "../lib/dom.js";
import { altText } from "./grid.js";

const SWIPE_PX = 50;

export class Lightbox {
  /**
   * @param {{grid: import("./grid.js").Grid, selection: import("./selection.js").Selection,
   *          onChange: (photoId: string) => void}} opts
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

    this.prevBtn.addEventListener("click", () => this.step(-1));
    this.nextBtn.addEventListener("click", () => this.step(1));
    document.getElementById("lb-close").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("keydown", (e) => this.#onKey(e));
    this.dialog.addEventListener("close", () => this.#onClose());
    this.dialog.addEventListener("click", (e) => { if (e.target === this.dialog) this.dialog.close(); });
    let startX = null, startY = 0;
    this.stage.addEventListener("pointerdown", (e) => { startX = e.clientX; startY = e.clientY; });
    this.stage.addEventListener("pointerup", (e) => {
      if (startX === null) return;
      const dx = e.clientX - startX, dy = e.clientY - startY;
      startX = null;
      if (Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(dy) * 1.5) this.step(dx < 0 ? 1 : -1);
    });
    this.selection.subscribe(() => this.#syncSelectButton());
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
    this.index = index;
    this.stage.replaceChildren(this.#media(photo));
    this.info.replaceChildren(...this.#details(photo));
    this.prevBtn.disabled = index === 0;
    this.nextBtn.disabled = index >= this.list.length - 1 && (this.standalone !== null || !this.grid.hasMore);
    if (!this.dialog.open) this.dialog.showModal();
    this.onChange(photo.id);
    this.#preload(index + 1);
  }

  #media(photo) {
    if (photo.kind === "video") {
      return h("video", { class: "lb-media", controls: true, preload: "metadata", playsinline: true,
        poster: photo.preview_url || photo.thumbnail_url, src: photo.original_url,
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
      h("a", { class: "btn btn-primary", href: photo.original_url, download: photo.filename }, "Download"),
      h("button", { type: "button", class: "btn lb-select", "aria-pressed": String(sel),
        onclick: () => this.selection.toggle(photo.id) }, sel ? "Selected ✓" : "Select")));
    out.push(h("p", { class: "lb-hint muted" }, "← → to browse · Esc to close"));
    return out;
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
    this.onChange("");
    if (!this.standalone) this.grid.focusTile(index);
    this.standalone = null;
  }
}

function section(title, value, cls = "") {
  const text = Array.isArray(value) ? value.join(" · ") : String(value);
  return h("section", { class: `lb-section ${cls}` }, h("h3", {}, title), h("p", {}, text));
}
