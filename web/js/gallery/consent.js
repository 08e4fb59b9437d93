/**
 * The attendee's control over their face data (docs/privacy.md), kept out of findme.js.
 *
 * Consent: the match API answers 428 until this tab's find-me session has agreed to the event's
 * consent text. `withConsent` then shows that text (and the event's privacy notice: what is kept,
 * how long, how to opt out) in a dialog; "I agree" records the consent (no biometric data) and the
 * search runs again; "Not now" stops there. Hide me / forget me: after a match, two buttons send the
 * same selfie to remove the attendee's face from other people's searches, or to delete it.
 */
import { api, eventPath, ApiError } from "../lib/api.js";
import { h } from "../lib/dom.js";

/**
 * Runs `call`; on a 428 asks for consent, records it and runs `call` once more.
 * @template T
 * @param {string} slug @param {string|null} session @param {() => Promise<T>} call
 * @returns {Promise<T>}
 */
export async function withConsent(slug, session, call) {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 428) throw err;
  }
  const [consent, notice] = await Promise.all([
    api(`${eventPath(slug)}/match/consent`),
    api(`${eventPath(slug)}/privacy`).catch(() => null),
  ]);
  if (!(await ask(consent.consent_text, notice))) {
    throw new ApiError(428, "Find me needs your consent to use your face data.");
  }
  await api(`${eventPath(slug)}/match/consent`, {
    json: { consent_version: consent.consent_version, session_id: session },
  });
  return call();
}

/** The consent dialog; resolves true on "I agree". */
function ask(text, notice) {
  return new Promise((resolve) => {
    const dialog = /** @type {HTMLDialogElement} */ (h("dialog", {
      class: "findme-dialog consent-dialog", id: "consent-dialog", "aria-labelledby": "consent-title" },
      h("form", { method: "dialog", class: "findme-form" },
        h("h2", { id: "consent-title" }, "Before we look for you"),
        h("p", { id: "consent-text" }, text),
        notice ? h("details", { class: "muted" }, h("summary", {}, "How this event handles face data"),
          ...notice.paragraphs.map((p) => h("p", {}, p))) : null,
        h("div", { class: "dialog-actions" },
          h("button", { type: "submit", class: "btn btn-ghost", value: "no" }, "Not now"),
          h("button", { type: "submit", class: "btn btn-accent", value: "agree" }, "I agree")))));
    dialog.addEventListener("close", () => { dialog.remove(); resolve(dialog.returnValue === "agree"); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * Adds "Hide me" and "Forget me" to the find-me results.
 * @param {{slug: string, selfie: Blob|null, refine: () => Promise<void>}} findMe
 * @param {{session: () => string|null, base64: (b: Blob) => Promise<string>}} helpers
 */
export function mountControls(findMe, helpers) {
  const head = document.querySelector("#findme-results .findme-head");
  if (!head) return;
  const say = (text) => { document.getElementById("findme-summary").textContent = text; };
  const send = async (kind, question) => {
    if (!findMe.selfie || !window.confirm(question)) return;
    const session = helpers.session();
    try {
      const body = { image_base64: await helpers.base64(findMe.selfie), session_id: session };
      const result = await withConsent(findMe.slug, session,
        () => api(`${eventPath(findMe.slug)}/match/${kind}`, { json: body }));
      await findMe.refine();
      say(result.message);
    } catch (err) {
      say(err instanceof ApiError ? err.message : "Could not reach the gallery. Try again.");
    }
  };
  head.append(
    h("button", { type: "button", class: "btn btn-small btn-ghost", id: "findme-hide",
      onclick: () => send("hide", "Hide your face from other people's searches in this event?") }, "Hide me"),
    h("button", { type: "button", class: "btn btn-small btn-ghost", id: "findme-forget",
      onclick: () => send("forget", "Delete every face template of yours in this event? Find me will no longer find you.") },
      "Forget me"));
}
