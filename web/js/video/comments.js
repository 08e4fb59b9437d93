/**
 * Comments: the list (replies one level under their comment), the form, a reply and a flag link.
 * The API sends text HTML-escaped; it is turned back into plain text and set as textContent.
 */
import { api } from "../lib/api.js";
import { accessToken, signedIn } from "../lib/account.js";
import { h } from "../lib/dom.js";
import { sessionHeaders, viewingSession } from "./session.js";

const text = (escaped) => new DOMParser().parseFromString(escaped, "text/html").documentElement.textContent || "";

export async function mountComments(form, list, base, slug, say) {
  let replyTo = null;
  const load = async () => {
    const { comments } = await api(`${base}/comments`, { headers: sessionHeaders() });
    const top = comments.filter((c) => !c.parent_id);
    list.replaceChildren(...top.flatMap((c) => [row(c, false), ...comments.filter((r) => r.parent_id === c.id).map((r) => row(r, true))]));
  };
  const row = (c, reply) => h("li", { class: reply ? "reply" : "", dataset: { id: c.id } },
    h("span", { class: "who" }, text(c.author_name) || "Someone"),
    h("span", { class: "body" }, text(c.body)),
    c.status === "held" ? h("em", {}, " (held for review)") : null,
    reply ? null : h("button", { type: "button", class: "flag", onclick: () => { replyTo = c.id; form.querySelector("textarea").focus(); say("Replying"); } }, "Reply"),
    h("button", { type: "button", class: "flag", onclick: async () => {
      try {
        await api(`/events/${encodeURIComponent(slug)}/comments/${c.id}/flag`, { json: { session_id: viewingSession() } });
        say("Flagged. Thank you.");
      } catch (err) { say(err.message); }
    } }, "Flag"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = form.querySelector("textarea").value.trim();
    if (!body) return;
    try {
      const token = signedIn() ? await accessToken() : null;
      await api(`${base}/comments`, {
        token,
        json: { body, author_name: form.querySelector("input").value, parent_id: replyTo, session_id: viewingSession() },
      });
      form.reset();
      replyTo = null;
      await load();
    } catch (err) { say(err.message); }
  });
  await load();
}
