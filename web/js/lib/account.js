/**
 * A signed-in account (the dashboard's and the account pages'): the API's session (a 15-minute
 * access token and the refresh token that renews it) kept in localStorage, so a link opened from a
 * mail in a new tab finds it. Refresh tokens are single-use and a replayed one ends every session,
 * so tabs take turns (a Web Lock) and adopt a renewal another tab already stored.
 */
import { api, ApiError } from "./api.js";

const KEY = "eventlens.account";
const RETURN_KEY = "eventlens.return_to";
/** Renew this long before the access token expires (clock skew, a slow network). */
const EARLY_S = 60;

/** @typedef {{access_token: string, expires_at: number, refresh_token: string,
 *             refresh_expires_at: number, person: {id: string, email: string, display_name?: string}}} AccountSession */

/** @returns {AccountSession|null} */
export function stored() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || "null");
    return s && s.refresh_expires_at > Date.now() / 1000 ? s : null;
  } catch {
    return null;
  }
}

/** @param {AccountSession|null} session */
function store(session) {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}

export const signedIn = () => stored() !== null;

/** Forgets the session in this browser (the server's "sign out everywhere" ends the others). */
export function forget() { store(null); }

export async function signIn(email, password) {
  store(await api("/account/sign-in", { json: { email, password } }));
  return stored();
}

/** Creates the account, then signs in with it (sign-in does not wait for the verification mail). */
export async function signUp(email, password) {
  await api("/account/sign-up", { json: { email, password } });
  return signIn(email, password);
}

/** Where the page a mailed link opens (in this browser) lands once it is done. */
export function returnHere(path) { localStorage.setItem(RETURN_KEY, path); }

/** Mails a one-time sign-in link; `returnTo` is where the link's page lands afterwards. */
export async function mailSignInLink(email, returnTo) {
  returnHere(returnTo);
  await api("/account/magic-link", { json: { email } });
}

/** Where a mailed link's page goes once signed in (and forgets it), or `fallback`. */
export function takeReturnTo(fallback) {
  const to = localStorage.getItem(RETURN_KEY);
  localStorage.removeItem(RETURN_KEY);
  return to && to.startsWith("/") && !to.startsWith("//") ? to : fallback;
}

export async function signInWithLink(token) {
  store(await api("/account/magic-link/sign-in", { json: { token } }));
  return stored();
}

export async function resetPassword(token, password) {
  store(await api("/account/reset/confirm", { json: { token, password } }));
  return stored();
}

/** Renews the session with its refresh token, once across tabs. */
async function refresh(seen) {
  const run = async () => {
    const current = stored();
    if (!current) throw new ApiError(401, "You were signed out. Please sign in again.");
    if (current.refresh_token !== seen.refresh_token) return current; // another tab renewed it
    try {
      store(await api("/account/refresh", { json: { refresh_token: current.refresh_token } }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) store(null);
      throw err;
    }
    return /** @type {AccountSession} */ (stored());
  };
  return navigator.locks ? navigator.locks.request(KEY, run) : run();
}

/** A valid access token, renewed first when it is about to expire; null when signed out. */
export async function accessToken() {
  const s = stored();
  if (!s) return null;
  if (s.expires_at - EARLY_S > Date.now() / 1000) return s.access_token;
  return (await refresh(s)).access_token;
}

/** After a 401 with a token that looked valid: renew once (it may have been revoked meanwhile). */
export async function renewAfterRefusal() {
  const s = stored();
  return s ? (await refresh(s)).access_token : null;
}

/** Keeps the session fresh while the page is open: renews shortly before each expiry. */
export function keepFresh(onSignedOut) {
  let timer = 0;
  const plan = () => {
    clearTimeout(timer);
    const s = stored();
    if (!s) return;
    const wait = Math.max(1, s.expires_at - EARLY_S - Date.now() / 1000) * 1000;
    timer = window.setTimeout(() => {
      accessToken().then(plan, (err) => { if (err.status === 401) onSignedOut(err.message); });
    }, Math.min(wait, 2 ** 31 - 1));
  };
  plan();
  window.addEventListener("storage", (e) => { if (e.key === KEY) plan(); });
  return { plan, stop: () => clearTimeout(timer) };
}

/** Calls the API as the signed-in account, renewing once on a 401. */
export async function call(path, opts = {}) {
  try {
    return await api(path, { ...opts, token: await accessToken() });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !stored()) throw err;
    return api(path, { ...opts, token: await renewAfterRefusal() });
  }
}
