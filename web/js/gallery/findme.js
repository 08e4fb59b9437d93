/**
 * "Find me": a selfie in, the attendee's photos out (with confidence) plus the "you might also
 * appear in" row. The selfie is shrunk in the browser first: phones shoot 12 MP, the face
 * matcher needs a few hundred pixels, and a smaller upload is faster and stays under the limit.
 *
 * Each selfie goes with this tab's find-me session id: random, made here, kept in sessionStorage
 * (gone with the tab). The server compares a retake only with the same session's earlier tries,
 * and keeps a try's face template (never the selfie) under that session for 30 minutes at most
 * (docs/security.md, "Faces and find me"); the dialog in index.html says so to the visitor.
 */
import { api, eventPath, ApiError } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { altText } from "./grid.js";
import { mountControls, withConsent } from "./consent.js";
import { renderCrew } from "./crew.js";

const MAX_SIDE = 1280;
const SESSION_STORAGE_KEY = "eventlens.findme.session";
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** @typedef {{matches: {photo: any, confidence: number}[], recommendations: {photo: any, reason: string}[], message: string|null, crew?: any}} MatchResult */

export class FindMe {
  /**
   * @param {{slug: string, maxSelfieBytes: number, getQuery: () => string,
   *          onResults: (r: MatchResult, how: "new"|"refine") => void,
   *          onClear: () => void, onOpenPhoto: (photo: any) => void}} opts
   */
  constructor(opts) {
    Object.assign(this, opts);
    /** @type {Blob|null} */
    this.selfie = null;
    this.selfieUrl = "";
    /** @type {MatchResult|null} */
    this.result = null;
    this.dialog = /** @type {HTMLDialogElement} */ (document.getElementById("findme-dialog"));
    this.input = /** @type {HTMLInputElement} */ (document.getElementById("selfie-input"));
    this.message = document.getElementById("findme-message");
    this.section = document.getElementById("findme-results");
    this.requestId = 0;

    document.getElementById("findme-open").addEventListener("click", () => this.ask());
    document.getElementById("findme-retake").addEventListener("click", () => this.ask());
    document.getElementById("findme-clear").addEventListener("click", () => this.clear());
    this.input.addEventListener("change", () => this.#onFile());
    mountControls(this, { session: findMeSession, base64 });
  }

  get active() { return this.result !== null; }
  /** A new text query can be combined with the face only while the selfie is still in memory. */
  get canRefine() { return this.selfie !== null; }

  /** Shows the button only when the organizer has face matching on. */
  setEnabled(on) {
    document.getElementById("findme-open").hidden = !on;
    if (!on && this.active) this.clear();
  }

  ask() {
    this.#hidePicker();
    this.#say("");
    this.input.value = "";
    this.dialog.showModal();
  }

  /** Leaves find me; `quiet` when the page does it (Back), so it is not reported as a step. */
  clear({ quiet = false } = {}) {
    this.selfie = null;
    this.result = null;
    if (this.selfieUrl) URL.revokeObjectURL(this.selfieUrl);
    this.selfieUrl = "";
    this.section.hidden = true;
    if (!quiet) this.onClear();
  }

  /**
   * Shows results kept from earlier in this tab (a reload, Back/Forward). The selfie itself is not
   * kept anywhere, so the header shows no picture and a new text query needs a new selfie.
   * @param {MatchResult} result
   */
  restore(result) {
    this.result = result;
    this.#render(result);
  }

  async #onFile() {
    const file = this.input.files && this.input.files[0];
    if (!file) return;
    this.#hidePicker();
    this.#say("Looking for you in the photos…", "busy");
    await this.#search(await shrink(file), true);
  }

  /** Matches `blob`; on "several faces", with `mayPick`, asks which face is the visitor's. */
  async #search(blob, mayPick) {
    try {
      const result = await this.#match(blob, this.getQuery());
      if (!result) return;
      this.#hidePicker();
      this.selfie = blob;
      if (this.selfieUrl) URL.revokeObjectURL(this.selfieUrl);
      this.selfieUrl = URL.createObjectURL(blob);
      this.dialog.close();
      this.result = result;
      this.#render(result);
      this.onResults(result, "new");
    } catch (err) {
      const several = err instanceof ApiError && /several faces/i.test(err.message);
      if (several && mayPick) this.#showPicker(blob);
      else if (several) this.#say("Still more than one face there: tap the middle of your own face.", "error");
      else this.#say(explain(err), "error");
    }
  }

  /**
   * A selfie with several faces: the visitor taps (or picks with the keyboard, one of nine areas)
   * their own face, and a square around that point is searched instead. The crop is made here;
   * the server sees only it.
   * @param {Blob} blob
   */
  #showPicker(blob) {
    this.#say("We see more than one face. Tap or choose yours.", "error");
    const url = URL.createObjectURL(blob);
    const img = h("img", { class: "pick-img", src: url, alt: "" });
    const areas = ["top left", "top", "top right", "left", "middle", "right", "bottom left", "bottom", "bottom right"]
      .map((where, i) => h("button", { type: "button", class: "pick-area", "aria-label": `My face is at the ${where}`,
        onclick: (e) => {
          const box = img.getBoundingClientRect();
          // A pointer gives the exact point; Enter or Space the middle of the area.
          const fx = e.detail > 0 ? (e.clientX - box.left) / box.width : ((i % 3) + 0.5) / 3;
          const fy = e.detail > 0 ? (e.clientY - box.top) / box.height : (Math.floor(i / 3) + 0.5) / 3;
          this.#pick(blob, fx, fy);
        } }));
    const picker = h("div", { class: "face-picker", id: "face-picker", role: "group", "aria-label": "Which face is yours?" },
      h("div", { class: "pick-frame" }, img, h("div", { class: "pick-grid" }, ...areas)));
    img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
    this.message.after(picker);
    areas[4].focus();
  }

  #hidePicker() {
    document.getElementById("face-picker")?.remove();
  }

  async #pick(blob, fx, fy) {
    this.#say("Looking for you in the photos…", "busy");
    await this.#search(await cropAround(blob, fx, fy), false);
  }

  /** Runs the match again with the current text query (find me + "on stage"). */
  async refine() {
    if (!this.selfie) return;
    try {
      const result = await this.#match(this.selfie, this.getQuery());
      if (!result) return;
      this.result = result;
      this.#render(result);
      this.onResults(result, "refine");
    } catch (err) {
      document.getElementById("findme-summary").textContent = explain(err);
    }
  }

  /** @returns {Promise<MatchResult|null>} null when a newer request superseded this one */
  async #match(blob, q) {
    const id = ++this.requestId;
    // Past the installation's limit the request would not reach the API at all on AWS (a Lambda
    // takes 6 MB): say so here instead of failing in the gateway.
    if (blob.size > this.maxSelfieBytes) throw new ApiError(413, "selfie too large");
    // JSON rather than multipart: the selfie is already small, and JSON passes every gateway intact.
    const json = { image_base64: await base64(blob), q: q || null, session_id: findMeSession() };
    const result = await withConsent(this.slug, json.session_id, () => api(`${eventPath(this.slug)}/match`, { json }));
    return id === this.requestId ? result : null;
  }

  /** @param {MatchResult} r */
  #render(r) {
    if (!r) return;
    this.section.hidden = false;
    const selfie = /** @type {HTMLImageElement} */ (document.getElementById("findme-selfie"));
    selfie.hidden = !this.selfieUrl;
    if (this.selfieUrl) selfie.src = this.selfieUrl;
    else selfie.removeAttribute("src");
    const recs = document.getElementById("recommendations");
    recs.hidden = r.recommendations.length === 0;
    document.getElementById("rec-row").replaceChildren(...r.recommendations.map(({ photo, reason }) =>
      h("li", {}, h("button", { type: "button", class: "rec", title: reason, "aria-label": `${altText(photo)} — ${reason}`,
        onclick: () => this.onOpenPhoto(photo) },
        h("img", { src: photo.thumbnail_url, alt: "", loading: "lazy", width: 120, height: 120 }),
        h("span", { class: "rec-reason" }, reason)))));
    renderCrew(r.crew, (photo) => this.onOpenPhoto(photo));
  }

  #say(text, kind = "") {
    this.message.hidden = !text;
    this.message.textContent = text;
    this.message.className = `findme-message ${kind ? `is-${kind}` : ""}`;
  }
}

function explain(err) {
  if (err instanceof ApiError) {
    if (err.status === 413) return "That photo is too large. Try a smaller one.";
    return err.message.charAt(0).toUpperCase() + err.message.slice(1);
  }
  return "Could not reach the gallery. Check your connection and try again.";
}

/**
 * This tab's find-me session id (18 random bytes, base64url), made on first use. Null when the
 * browser refuses storage: the search then runs without a session (nothing compared, nothing kept).
 * @returns {string|null}
 */
function findMeSession() {
  try {
    let id = sessionStorage.getItem(SESSION_STORAGE_KEY);
    if (!id || !SESSION_ID.test(id)) {
      const bytes = crypto.getRandomValues(new Uint8Array(18));
      id = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
      sessionStorage.setItem(SESSION_STORAGE_KEY, id);
    }
    return id;
  } catch {
    return null;
  }
}

/** A Blob's bytes as plain base64 (no data: prefix). */
function base64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** Share of the selfie's shorter side that the square around a picked face spans. */
const PICK_SIDE = 0.3;

/** A square JPEG around the point (fx, fy), given as fractions of the image's width and height. */
async function cropAround(blob, fx, fy) {
  const bitmap = await createImageBitmap(blob);
  const side = Math.max(160, Math.round(Math.min(bitmap.width, bitmap.height) * PICK_SIDE));
  const x = Math.min(Math.max(0, Math.round(fx * bitmap.width - side / 2)), Math.max(0, bitmap.width - side));
  const y = Math.min(Math.max(0, Math.round(fy * bitmap.height - side / 2)), Math.max(0, bitmap.height - side));
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = side;
  canvas.getContext("2d").drawImage(bitmap, x, y, side, side, 0, 0, side, side);
  bitmap.close();
  return new Promise((resolve) => canvas.toBlob((b) => resolve(b || blob), "image/jpeg", 0.92));
}

/** Downscales to MAX_SIDE as JPEG; returns the original if the browser cannot decode it. */
async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size < 2_000_000) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await new Promise((resolve) => canvas.toBlob((b) => resolve(b || file), "image/jpeg", 0.9));
  } catch {
    return file;
  }
}
