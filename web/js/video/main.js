/**
 * The video player page (/video.html?event=<slug>&id=<id>): an orchestrator. The item, its
 * player (views and watch time), upvote, reactions bar and heat-map, comments: one module each.
 */
import { api, eventPath, eventSlug, qs } from "../lib/api.js";
import { withGalleryPass } from "../lib/pass.js";
import { $, formatCount, h } from "../lib/dom.js";
import { mountComments } from "./comments.js";
import { mountPlayer } from "./player.js";
import { mountReactions } from "./reactions.js";
import { sessionHeaders, viewingSession } from "./session.js";

const say = (message) => { $("#status").textContent = message; };

async function main() {
  const slug = eventSlug();
  const id = new URLSearchParams(location.search).get("id");
  if (!slug || !id) { say("This page needs ?event=<slug>&id=<video id>."); return; }
  $("#back").href = `/e/${encodeURIComponent(slug)}`;
  const base = `${eventPath(slug)}/media/${encodeURIComponent(id)}`;
  let item;
  try {
    item = await withGalleryPass(slug, () => api(base, { headers: sessionHeaders() }));
  } catch (err) {
    say(err.status === 401 || err.status === 403 ? `${err.message}.` : "This video is not available.");
    return;
  }
  document.title = `${item.filename} · EventLens`;
  $("#title").textContent = item.filename;
  $("#meta").textContent = [item.quality, item.duration_s ? `${Math.round(item.duration_s)} s` : null,
    item.original_filename !== item.filename ? `imported as ${item.original_filename}` : null].filter(Boolean).join(" · ");
  const counters = () => { $("#counters").textContent = `${formatCount(item.view_count)} views · ${formatCount(item.comment_count)} comments`; };
  counters();
  if (item.locked) say(`Locked: ${item.locked_reason || "not open to new reactions"}`);
  const video = /** @type {HTMLVideoElement} */ ($("#player"));
  if (item.play_url) mountPlayer(video, base, item);
  else say(item.transcode_status === "error" ? "This video could not be converted for the browser." : "This video is being converted for the browser.");
  const upvote = $("#upvote");
  const showVote = (state) => {
    upvote.setAttribute("aria-pressed", String(state.upvoted));
    $("#upvote-count").textContent = formatCount(state.upvote_count);
  };
  showVote({ upvoted: Boolean(item.upvoted), upvote_count: item.upvote_count });
  upvote.addEventListener("click", async () => {
    const on = upvote.getAttribute("aria-pressed") === "true";
    try {
      if (on) {
        showVote(await api(`${base}/upvote`, { method: "DELETE", headers: sessionHeaders() }));
      } else {
        showVote(await api(`${base}/upvote`, { json: { session_id: viewingSession() } }));
      }
    } catch (err) { say(err.message); }
  });
  await Promise.all([
    related(slug, item),
    mountReactions($("#reactions"), $("#heatmap"), video, base, say),
    mountComments($("#comment-form"), $("#comment-list"), base, slug, say),
  ]);
}

/** Other videos of the event, most upvoted first, the same category first. */
async function related(slug, item) {
  const query = (extra) => api(`${eventPath(slug)}/media${qs({ kind: "video", sort: "popular", limit: 7, ...extra })}`);
  const same = item.auto_tag ? (await query({ tag: item.auto_tag })).items : [];
  const more = (await query({})).items;
  const seen = new Set([item.id]);
  const picks = [...same, ...more].filter((v) => !seen.has(v.id) && seen.add(v.id)).slice(0, 6);
  $("#related").replaceChildren(...picks.map((v) => h("li", {},
    h("a", { href: `/video.html${qs({ event: slug, id: v.id })}` },
      v.thumbnail_url ? h("img", { src: v.thumbnail_url, alt: "", width: 160, height: 90 }) : null,
      h("span", {}, v.filename)))));
}

main().catch((err) => say(err.message));
