/**
 * The album pages (/album.html?event=<slug>[&album=<id>]): the event's albums, one album with its
 * photos, rating, reporting, inviting, uploading, and the review queue for those who moderate.
 * This module signs in and routes; album.js and list.js render.
 */
import { eventSlug } from "../lib/api.js";
import { forget, signIn, stored } from "../lib/account.js";
import { $ } from "../lib/dom.js";
import { showAlbum } from "./album.js";
import { showList, showSubject } from "./list.js";
import { explain, say } from "./notice.js";

const slug = eventSlug();
const params = new URLSearchParams(window.location.search);
const albumId = params.get("album");
const subjectId = params.get("subject");

function renderSession() {
  const session = stored();
  $("#sign-in-form").hidden = session !== null;
  $("#sign-out").hidden = session === null;
  const who = $("#signed-in-as");
  who.hidden = session === null;
  who.textContent = session ? `Signed in as ${session.person.email}` : "";
}

async function route() {
  renderSession();
  $("#gallery-link").setAttribute("href", `/e/${encodeURIComponent(slug)}`);
  const all = $("#albums-link");
  all.setAttribute("href", `/album.html?event=${encodeURIComponent(slug)}`);
  all.hidden = !albumId && !subjectId;
  try {
    if (albumId) await showAlbum(slug, albumId);
    else if (subjectId) await showSubject(slug, subjectId);
    else await showList(slug);
  } catch (err) {
    explain(err);
  }
}

$("#sign-in-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await signIn($("#email").value.trim(), $("#password").value);
    say("");
    await route();
  } catch (err) {
    explain(err);
  }
});

$("#sign-out").addEventListener("click", async () => {
  forget();
  await route();
});

if (!slug) say("Open this page from an event's gallery (the address names no event).");
else route();
