/**
 * One album: its photos (approved ones; a contributor also sees its own with their status and
 * reason; a moderator the review queue), rating 1-5, reporting, inviting (owner or editor),
 * uploading through a presigned PUT, saving a photo into another album (no copy), and "more like
 * this" for a photo (the event's album items and gallery photos nearest it).
 */
import { api, ApiError, eventPath, qs } from "../lib/api.js";
import { call, stored } from "../lib/account.js";
import { $, h } from "../lib/dom.js";
import { explain, say } from "./notice.js";

let current = null; // {slug, id}
let wired = false;

const read = (path) => (stored() ? call(path) : api(path));

function ratingText(album) {
  if (!album.rating_count) return "No ratings yet";
  const mine = album.my_rating ? ` · your rating ${album.my_rating}★` : "";
  return `Rated ${album.rating_average.toFixed(1)}★ by ${album.rating_count}${mine}`;
}

function itemCard(item, actions = []) {
  const status = item.status === "approved" ? null
    : h("p", { class: "muted item-status" }, `${item.status}${item.reason ? `: ${item.reason}` : ""}`);
  const tags = item.tags?.length
    ? h("p", { class: "item-tags" }, item.tags.map((t) => `#${t}`).join(" "))
    : null;
  return h("li", { class: "album-item", dataset: { item: item.id, status: item.status } },
    item.url ? h("img", { src: item.url, alt: "Album photo", loading: "lazy", width: 240 }) : null,
    status, tags, ...actions);
}

async function decide(item, status) {
  try {
    await call(`${eventPath(current.slug)}/album-items/${item.id}`, { method: "PATCH", json: { status } });
    say(status === "approved" ? "Approved." : "Rejected.", true);
    await render();
  } catch (err) {
    explain(err);
  }
}

/** A tag on an item (contributors as the album's policy allows; the API refuses a banned person). */
function tagForm(item) {
  const input = h("input", { type: "text", maxlength: "40", "aria-label": "Tag this photo", placeholder: "Tag" });
  return h("form", { class: "tag-form", onsubmit: async (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    try {
      await call(`${eventPath(current.slug)}/albums/${current.id}/items/${item.id}/tags`, { json: { tag: input.value } });
      say("Tagged.", true);
      await render();
    } catch (err) {
      explain(err);
    }
  } }, input, h("button", { type: "submit", class: "btn btn-small" }, "Add tag"));
}

async function saveTo(item, select) {
  if (!select.value) return;
  try {
    await call(`${eventPath(current.slug)}/albums/${select.value}/items`, { json: { item_id: item.id } });
    say("Saved to the album.", true);
  } catch (err) {
    explain(err);
  }
}

/** The event's album items and gallery photos nearest `item` by description (GET …/similar). */
async function moreLikeThis(item) {
  const { slug, id } = current;
  try {
    const near = await read(`${eventPath(slug)}/albums/${id}/items/${item.id}/similar`);
    const cards = [
      ...near.items.map((i) => itemCard(i)),
      ...near.photos.map((p) => h("li", { class: "album-item", dataset: { photo: p.id } },
        h("img", { src: p.thumbnail_url, alt: p.alt || p.filename, loading: "lazy", width: 240 }),
        h("p", { class: "muted" }, `From the gallery: ${p.filename}`))),
    ];
    $("#similar").hidden = false;
    $("#similar-note").textContent = cards.length
      ? "Album photos first, then the event's gallery, nearest first."
      : "Nothing alike yet (a photo is described once it is uploaded or processed).";
    $("#similar-items").replaceChildren(...cards);
    $("#similar").scrollIntoView({ block: "nearest" });
  } catch (err) {
    explain(err);
  }
}

async function render() {
  const { slug, id } = current;
  const page = await read(`${eventPath(slug)}/albums/${id}`);
  const signed = stored() !== null;
  $("#album-title").textContent = page.album.title;
  document.title = `${page.album.title} · EventLens`;
  $("#album-description").textContent = page.album.description;
  $("#album-rating").textContent = ratingText(page.album);
  for (const id of ["#rate-controls", "#flag-form", "#invite-form", "#upload-form"]) $(id).hidden = !signed;

  let others = [];
  if (signed) {
    const list = await call(`${eventPath(slug)}/albums${qs({ sort: "recent", limit: 200 })}`);
    others = list.albums.filter((a) => a.id !== id);
  }
  $("#items").replaceChildren(...page.items.map((item) => {
    const actions = [];
    if (item.status === "approved") {
      actions.push(h("button", { type: "button", class: "btn btn-small more-like-this", onclick: () => moreLikeThis(item) },
        "More like this"));
    }
    if (signed && item.status !== "rejected") actions.push(tagForm(item));
    if (signed && item.status === "approved" && others.length) {
      const select = h("select", { "aria-label": "Save to album" },
        h("option", { value: "" }, "Save to album…"),
        ...others.map((a) => h("option", { value: a.id }, a.title)));
      select.addEventListener("change", () => saveTo(item, select));
      actions.push(select);
    }
    return itemCard(item, actions);
  }));
  if (!page.items.length) $("#items").append(h("li", { class: "muted" }, "No photos yet."));

  const review = $("#review");
  review.hidden = true;
  if (signed) {
    try {
      const queue = await call(`${eventPath(slug)}/album-review`);
      const mine = queue.items.filter((item) => item.album_id === id);
      review.hidden = false;
      $("#review-items").replaceChildren(...mine.map((item) => itemCard(item, [
        h("button", { type: "button", class: "btn btn-primary", onclick: () => decide(item, "approved") }, "Approve"),
        h("button", { type: "button", class: "btn", onclick: () => decide(item, "rejected") }, "Reject"),
      ])));
      if (!mine.length) $("#review-items").append(h("li", { class: "muted" }, "Nothing to review."));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 403) throw err; // not a moderator
    }
  }
}

/** Files from this size up go in parts (resumable); smaller ones in one PUT. */
const LARGE = 8 * 1024 * 1024;
const RETRIES = 3;

/**
 * A large photo in parts (S3's multipart protocol; the local server speaks it too). What is
 * started is remembered for this file (localStorage), so a failed part, a lost connection or a
 * reload resumes from the parts the server says it holds instead of starting again.
 */
async function uploadInParts(file) {
  const { slug, id } = current;
  const base = `${eventPath(slug)}/albums/${id}/uploads/multipart`;
  const memo = `eventlens.upload.${id}.${file.name}.${file.size}.${file.lastModified}`;
  const resume = async (saved) => call(`${base}/resume`, { json: { ...saved, size: file.size } });
  let saved = JSON.parse(localStorage.getItem(memo) || "null");
  let ticket = null;
  if (saved) ticket = await resume(saved).catch(() => null);
  if (!ticket) {
    ticket = await call(base, { json: { filename: file.name, content_type: file.type || "image/jpeg", size: file.size } });
    saved = { key: ticket.key, upload_id: ticket.upload_id };
    localStorage.setItem(memo, JSON.stringify(saved));
  }
  const total = Math.ceil(file.size / ticket.part_size);
  const etags = new Map(ticket.done.map((p) => [p.number, p.etag]));
  for (let attempt = 0; ; attempt++) {
    try {
      for (const part of ticket.parts) {
        say(`Uploading ${file.name}: part ${part.number} of ${total}…`, true);
        const start = (part.number - 1) * ticket.part_size;
        const put = await fetch(part.url, { method: "PUT", body: file.slice(start, start + ticket.part_size) });
        if (!put.ok) throw new Error(`part ${part.number} was refused (${put.status})`);
        etags.set(part.number, put.headers.get("ETag"));
      }
      break;
    } catch (err) {
      if (attempt >= RETRIES) throw new Error(`The upload stopped (${err.message}): choose the same file again to resume it.`);
      ticket = await resume(saved);
      for (const p of ticket.done) etags.set(p.number, p.etag);
    }
  }
  const parts = [...etags].sort((a, b) => a[0] - b[0]).map(([number, etag]) => ({ number, etag }));
  const item = await call(`${base}/complete`, { json: { ...saved, parts } });
  localStorage.removeItem(memo);
  return item;
}

async function upload(file) {
  if (file.size >= LARGE) return uploadInParts(file);
  const { slug, id } = current;
  const ticket = await call(`${eventPath(slug)}/albums/${id}/uploads`, {
    json: { filename: file.name, content_type: file.type || "image/jpeg", size: file.size },
  });
  const put = await fetch(ticket.upload_url, { method: "PUT", headers: ticket.headers, body: file });
  if (!put.ok) throw new Error(`The upload failed (${put.status})`);
  return call(`${eventPath(slug)}/albums/${id}/uploads/complete`, { json: { key: ticket.key } });
}

function wire() {
  for (const button of document.querySelectorAll("#rate-controls [data-stars]")) {
    button.addEventListener("click", async () => {
      try {
        const album = await call(`${eventPath(current.slug)}/albums/${current.id}/rating`, {
          method: "PUT", json: { stars: Number(button.dataset.stars) },
        });
        $("#album-rating").textContent = ratingText(album);
        say("Thanks for rating.", true);
      } catch (err) {
        explain(err);
      }
    });
  }
  $("#flag-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await call(`${eventPath(current.slug)}/albums/${current.id}/flags`, { json: { reason: $("#flag-reason").value.trim() } });
      say("Reported: a moderator will look at it.", true);
    } catch (err) {
      explain(err);
    }
  });
  $("#invite-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const added = await call(`${eventPath(current.slug)}/albums/${current.id}/contributors`, {
        json: { email: $("#invite-email").value.trim() },
      });
      say(`${added.email} can now add photos.`, true);
    } catch (err) {
      explain(err);
    }
  });
  $("#upload-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = $("#upload-file").files[0];
    if (!file) return;
    try {
      const item = await upload(file);
      say(`Uploaded: ${item.status}${item.reason ? ` (${item.reason})` : ""}. A moderator reviews every photo.`, true);
      await render();
    } catch (err) {
      explain(err);
    }
  });
}

export async function showAlbum(slug, id) {
  current = { slug, id };
  $("#list-view").hidden = true;
  $("#album-view").hidden = false;
  if (!wired) {
    wired = true;
    wire();
  }
  await render();
}
