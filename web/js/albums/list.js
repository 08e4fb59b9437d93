/**
 * The event's albums (sorted by the Bayesian score, the number of ratings or date; new album), the
 * organization's subjects, and one subject's albums across the events the visitor may read.
 */
import { api, eventPath, qs } from "../lib/api.js";
import { call, stored } from "../lib/account.js";
import { $, h } from "../lib/dom.js";
import { explain } from "./notice.js";

let wired = false;

function stars(album) {
  if (!album.rating_count) return "No ratings yet";
  return `${album.rating_average.toFixed(1)}★ from ${album.rating_count} rating${album.rating_count === 1 ? "" : "s"}`;
}

function albumRow(slug, album) {
  return h("li", {},
    album.cover_url ? h("img", { src: album.cover_url, alt: "", width: 96, height: 72, loading: "lazy" }) : null,
    h("a", { href: `/album.html${qs({ event: slug, album: album.id })}` }, album.title),
    " · ", h("span", { class: "muted" }, stars(album)));
}

async function loadSubjects(slug) {
  const path = `${eventPath(slug)}/subjects`;
  const found = await (stored() ? call(path) : api(path));
  $("#subject-list").replaceChildren(...found.subjects.map((subject) =>
    h("li", {}, h("a", { href: `/album.html${qs({ event: slug, subject: subject.id })}` }, subject.name),
      " ", h("span", { class: "muted" }, subject.kind))));
  $("#subjects").hidden = !found.subjects.length;
}

/** One subject: its albums across the organization's events this visitor may read. */
export async function showSubject(slug, subjectId) {
  $("#list-view").hidden = false;
  $("#album-view").hidden = true;
  $("#create-form").hidden = true;
  $("#sort").hidden = true;
  $("#sort-label").hidden = true;
  const path = `${eventPath(slug)}/subjects/${subjectId}`;
  const page = await (stored() ? call(path) : api(path));
  $("#list-title").textContent = `Albums of ${page.subject.name}`;
  const rows = page.albums.map((album) => albumRow(slug, album));
  $("#album-list").replaceChildren(...rows);
  if (!rows.length) $("#album-list").append(h("li", { class: "muted" }, "No albums yet."));
}

async function load(slug) {
  const sort = $("#sort").value;
  const path = `${eventPath(slug)}/albums${qs({ sort })}`;
  const list = await (stored() ? call(path) : api(path));
  const target = $("#album-list");
  target.replaceChildren(...list.albums.map((album) => albumRow(slug, album)));
  if (!list.albums.length) target.append(h("li", { class: "muted" }, "No albums yet."));
}

export async function showList(slug) {
  $("#list-view").hidden = false;
  $("#album-view").hidden = true;
  $("#create-form").hidden = !stored();
  if (!wired) {
    wired = true;
    $("#sort").addEventListener("change", () => load(slug).catch(explain));
    $("#create-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const album = await call(`${eventPath(slug)}/albums`, {
          json: { title: $("#new-title").value.trim(), contribution_policy: $("#new-policy").value },
        });
        window.location.assign(`/album.html${qs({ event: slug, album: album.id })}`);
      } catch (err) {
        explain(err);
      }
    });
  }
  await Promise.all([load(slug), loadSubjects(slug)]);
}
