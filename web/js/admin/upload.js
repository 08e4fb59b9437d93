/**
 * Upload panel: drop many files, each gets an upload URL from the API (presigned S3 PUT on AWS,
 * the local server otherwise) and goes straight there by XHR, because fetch() cannot report
 * upload progress. When the batch ends, "complete" registers the keys and processing starts; the
 * album chosen, if any, gets the photos too.
 */
import { h, formatBytes, plural } from "../lib/dom.js";
import { eventPath } from "../lib/api.js";

const PARALLEL = 3;
const FORBIDDEN_HEADERS = new Set(["content-length", "host", "connection"]);

/** @param {import("./session.js").Session} session @param {() => void} onRegistered */
export function mountUpload(session, onRegistered) {
  const zone = document.getElementById("dropzone");
  const input = /** @type {HTMLInputElement} */ (document.getElementById("file-input"));
  const list = document.getElementById("upload-list");
  const summary = document.getElementById("upload-summary");
  const albumRow = document.getElementById("upload-album-row");
  const albumSelect = /** @type {HTMLSelectElement} */ (document.getElementById("upload-album"));

  /** The event's albums to choose from (none: no choice shown). */
  async function loadAlbums() {
    try {
      const { albums } = await session.call(`${eventPath(session.slug)}/albums?limit=200`);
      const chosen = albumSelect.value;
      albumSelect.replaceChildren(albumSelect.options[0],
        ...albums.map((a) => h("option", { value: a.id }, a.title)));
      if (albums.some((a) => a.id === chosen)) albumSelect.value = chosen;
      albumRow.hidden = albums.length === 0;
    } catch {
      albumRow.hidden = true;
    }
  }
  loadAlbums();
  document.getElementById("tab-upload").addEventListener("click", loadAlbums);

  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("is-over"); });
  }
  for (const type of ["dragleave", "drop"]) zone.addEventListener(type, () => zone.classList.remove("is-over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) uploadAll([...e.dataTransfer.files]);
  });
  input.addEventListener("change", () => {
    if (input.files && input.files.length) uploadAll([...input.files]);
    input.value = "";
  });

  /** @param {File[]} files */
  async function uploadAll(files) {
    const rows = files.map((file) => ({ file, row: uploadRow(file) }));
    list.prepend(...rows.map((r) => r.row.el));
    summary.textContent = `Uploading ${plural(files.length, "file")}…`;
    /** @type {string[]} */
    const keys = [];
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const { file, row } = rows[next++];
        try {
          keys.push(await uploadOne(file, row));
        } catch (err) {
          row.fail(err.message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, rows.length) }, worker));
    const failed = files.length - keys.length;
    if (!keys.length) {
      summary.textContent = "No file was uploaded.";
      return;
    }
    const albumId = albumSelect.value;
    const album = albumId ? albumSelect.selectedOptions[0].textContent : "";
    try {
      const done = await session.admin("/uploads/complete", { json: albumId ? { keys, album_id: albumId } : { keys } });
      const into = album ? ` Added to the album “${album}”: ${plural(done.album_items, "photo")}.` : "";
      summary.textContent = `${plural(keys.length, "file")} uploaded${failed ? `, ${failed} failed` : ""}. Processing has started.${into}`;
      onRegistered();
    } catch (err) {
      summary.textContent = `Uploaded, but registering failed: ${err.message}`;
    }
  }

  async function uploadOne(file, row) {
    const target = await session.admin("/uploads", {
      json: { filename: file.name, content_type: file.type || "application/octet-stream", size: file.size },
    });
    await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(target.method || "PUT", target.upload_url);
      const headers = { ...(target.headers || {}) };
      // The local server's stand-in for a presigned URL checks the organizer token; S3 must not get it.
      const sameOrigin = new URL(target.upload_url, window.location.href).origin === window.location.origin;
      if (sameOrigin && !Object.keys(headers).some((k) => k.toLowerCase() === "authorization")) {
        headers.Authorization = `Bearer ${session.token}`;
      }
      for (const [k, v] of Object.entries(headers)) {
        if (!FORBIDDEN_HEADERS.has(k.toLowerCase())) xhr.setRequestHeader(k, String(v));
      }
      xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) row.progress(e.loaded / e.total); });
      xhr.addEventListener("load", () => (xhr.status >= 200 && xhr.status < 300
        ? resolve(null) : reject(new Error(`upload failed (${xhr.status})`))));
      xhr.addEventListener("error", () => reject(new Error("network error")));
      xhr.send(file);
    });
    row.done();
    return target.key;
  }
}

function uploadRow(file) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": `Upload progress for ${file.name}` });
  const state = h("span", { class: "upload-state" }, "waiting");
  const el = h("li", { class: "upload-item" },
    h("span", { class: "upload-name" }, file.name), h("span", { class: "muted" }, formatBytes(file.size)), bar, state);
  return {
    el,
    progress(f) { bar.value = Math.round(f * 100); state.textContent = `${Math.round(f * 100)}%`; },
    done() { bar.value = 100; state.textContent = "uploaded"; el.classList.add("is-done"); },
    fail(msg) { state.textContent = msg; el.classList.add("is-error"); },
  };
}
