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
import { h, plural } from "../lib/dom.js";
import { altText } from "./grid.js";
import { mountControls, withConsent } from "./consent.js";

const MAX_SIDE = 1280;
const SESSION_STORAGE_KEY = "eventlens.findme.session";
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** @typedef {{matches: {photo: any, confidence: number}[], recommendations: {photo: any, reason: string}[], message: string|null}} MatchResult */

export class FindMe {
  /**
   * @param {{slug: string, maxSelfieBytes: number, getQuery: () => string, onResults: (r: MatchResult) => void,
   *          onClear: () => void, onOpenPhoto: (photo: any) => void}} opts
   */
  constructor(opts) {
    Object.assign(this, opts);
    /** @type {Blob|null} */
    this.selfie = null;
    this.selfieUrl = "";
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

  get active() { return this.selfie !== null; }

  /** Shows the button only when the organizer has face matching on. */
  setEnabled(on) {
    document.getElementById("findme-open").hidden = !on;
    if (!on && this.active) this.clear();
  }

  ask() {
    this.#say("");
    this.input.value = "";
    this.dialog.showModal();
  }

  clear() {
    this.selfie = null;
    if (this.selfieUrl) URL.revokeObjectURL(this.selfieUrl);
    this.selfieUrl = "";
    this.section.hidden = true;
    this.onClear();
  }

  async #onFile() {
    const file = this.input.files && this.input.files[0];
    if (!file) return;
    this.#say("Looking for you in the photos…", "busy");
    const blob = await shrink(file);
    try {
      const result = await this.#match(blob, this.getQuery());
      if (!result) return;
      this.selfie = blob;
      if (this.selfieUrl) URL.revokeObjectURL(this.selfieUrl);
      this.selfieUrl = URL.createObjectURL(blob);
      this.dialog.close();
      this.#render(result);
      this.onResults(result);
    } catch (err) {
      this.#say(explain(err), "error");
    }
  }

  /** Runs the match again with the current text query (find me + "on stage"). */
  async refine() {
    if (!this.selfie) return;
    try {
      const result = await this.#match(this.selfie, this.getQuery());
      if (!result) return;
      this.#render(result);
      this.onResults(result);
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
    /** @type {HTMLImageElement} */ (document.getElementById("findme-selfie")).src = this.selfieUrl;
    const q = this.getQuery();
    const found = r.matches.length
      ? `We found you in ${plural(r.matches.length, "photo")}${q ? ` matching “${q}”` : ""}.`
      : `We could not find you${q ? ` in photos matching “${q}”` : ""}.`;
    const scope = q && r.message ? ` Showing only photos matching “${q}”.` : "";
    document.getElementById("findme-summary").textContent = r.message ? `${r.message}${scope}` : found;
    const recs = document.getElementById("recommendations");
    recs.hidden = r.recommendations.length === 0;
    document.getElementById("rec-row").replaceChildren(...r.recommendations.map(({ photo, reason }) =>
      h("li", {}, h("button", { type: "button", class: "rec", title: reason, "aria-label": `${altText(photo)} — ${reason}`,
        onclick: () => this.onOpenPhoto(photo) },
        h("img", { src: photo.thumbnail_url, alt: "", loading: "lazy", width: 120, height: 120 }),
        h("span", { class: "rec-reason" }, reason)))));
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
