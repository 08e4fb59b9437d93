/**
 * The reactions bar (types from the server's one list, /api/reactions/config) and the heat-map of
 * reactions over the video's timeline: each slice is a button that seeks to its start.
 */
import { api } from "../lib/api.js";
import { call, signedIn } from "../lib/account.js";
import { h } from "../lib/dom.js";

/** @param {HTMLElement} bar @param {HTMLElement} heat @param {HTMLVideoElement} video */
export async function mountReactions(bar, heat, video, base, say) {
  const config = await api("/reactions/config");
  const refresh = async () => drawHeatmap(heat, video, await api(`${base}/reactions`));
  for (const r of config.reactions) {
    bar.append(h("button", {
      type: "button", title: r.label, "aria-label": r.label, dataset: { reaction: r.type },
      onclick: async () => {
        if (!signedIn()) { say("Sign in to react."); return; }
        try {
          await call(`${base}/reactions`, { json: { reaction: r.type, at_s: Math.floor(video.currentTime * 10) / 10 } });
          say(`${r.emoji} at ${Math.floor(video.currentTime)} s`);
          await refresh();
        } catch (err) { say(err.message); }
      },
    }, r.emoji));
  }
  await refresh();
}

function drawHeatmap(heat, video, list) {
  const peak = Math.max(1, ...list.heatmap.map((b) => b.total));
  heat.replaceChildren(...list.heatmap.map((b) => h("button", {
    type: "button",
    title: `${b.total} reaction${b.total === 1 ? "" : "s"} from ${Math.floor(b.start_s)} s`,
    "aria-label": `${b.total} reactions from ${Math.floor(b.start_s)} s`,
    dataset: { total: b.total },
    style: { "--heat": `rgba(240, 62, 62, ${0.08 + 0.92 * (b.total / peak)})` },
    onclick: () => { video.currentTime = b.start_s; },
  })));
}
