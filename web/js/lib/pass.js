/**
 * A private gallery's pass: the signed-in account's session traded for a key to one event's
 * public routes (on AWS only the API's authorizer checks Cognito tokens, and these routes have
 * none). Bought on the first refusal, renewed a minute before it ends while the page is open.
 */
import { api, ApiError, eventPath, useGalleryPass } from "./api.js";
import { accessToken, signedIn } from "./account.js";

/** Runs `load`; for a private event's 401 with an account signed in, buys a pass and runs it again. */
export async function withGalleryPass(slug, load) {
  try {
    return await load();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !signedIn()) throw err;
    await renewPass(slug);
    return load();
  }
}

async function renewPass(slug) {
  const pass = await api(`${eventPath(slug)}/pass`, { method: "POST", token: await accessToken() });
  useGalleryPass(pass.token);
  const wait = Math.max(60, pass.expires_at - Date.now() / 1000 - 60) * 1000;
  window.setTimeout(() => renewPass(slug).catch(() => useGalleryPass(null)), wait);
}
