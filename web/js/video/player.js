/**
 * The video element and what it reports: a view once this session has watched the stated minimum
 * (sent on its own, with keepalive, so nothing waits for it), and watch time every 15 s of actual
 * playback plus a finish at the end. The server caps both per session.
 */
import { api } from "../lib/api.js";
import { viewingSession } from "./session.js";

const REPORT_EVERY_S = 15;

function send(path, body) {
  // fire and forget: the page never waits on a counter
  api(path, { json: { ...body, session_id: viewingSession() }, keepalive: true }).catch(() => {});
}

/** @param {HTMLVideoElement} video @param {string} base  /events/<slug>/media/<id> @param {any} item */
export function mountPlayer(video, base, item) {
  video.poster = item.poster_url || "";
  video.src = item.play_url;
  const minWatch = Math.min(10, item.duration_s || 0);
  let watched = 0;
  let unreported = 0;
  let viewSent = false;
  let last = null;
  video.addEventListener("timeupdate", () => {
    const now = video.currentTime;
    if (last !== null && !video.seeking && now > last && now - last < 1.5) {
      watched += now - last;
      unreported += now - last;
    }
    last = now;
    if (!viewSent && watched + 0.25 >= minWatch) {
      viewSent = true;
      send(`${base}/views`, { watched_s: watched });
    }
    if (unreported >= REPORT_EVERY_S) {
      send(`${base}/watch`, { seconds: unreported });
      unreported = 0;
    }
  });
  video.addEventListener("seeking", () => { last = null; });
  video.addEventListener("ended", () => {
    if (!viewSent) { viewSent = true; send(`${base}/views`, { watched_s: watched }); }
    send(`${base}/watch`, { seconds: unreported, finished: true });
    unreported = 0;
  });
}
