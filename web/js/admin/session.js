/**
 * The organizer's session, one of two kinds: the event password's bearer token (localStorage: every
 * tab of the dashboard shares it until it expires or "Log out" forgets it) or a signed-in account
 * (lib/account.js, renewed before it expires).
 * Any 401 ends the session in one place, and any 403 asks the page to re-read the caller's rights,
 * so every panel gets the same "session expired" and "no role" paths.
 */
import { api, eventPath, ApiError } from "../lib/api.js";
import * as account from "../lib/account.js";

export class Session {
  /**
   * @param {string} slug
   * @param {(reason: string) => void} onExpired
   * @param {(reason: string) => void} [onRefused]  a 403: the role changed or was removed
   */
  constructor(slug, onExpired, onRefused = () => {}) {
    this.slug = slug;
    this.key = `eventlens.token.${slug}`;
    this.onExpired = onExpired;
    this.onRefused = onRefused;
    // A failed renewal ends an account's session, never the event password's beside it.
    this.fresh = account.keepFresh((reason) => { if (this.kind !== "password") this.expire(reason); });
  }

  /** "password" (the event's), "account", or null when signed out; the event password wins. */
  get kind() {
    if (localStorage.getItem(this.key)) return "password";
    return account.signedIn() ? "account" : null;
  }

  /** The current bearer token (synchronous: the upload's local PUT needs it). */
  get token() {
    return localStorage.getItem(this.key) || account.stored()?.access_token || null;
  }

  get active() { return this.kind !== null; }

  /** The signed-in account's email, or null for the event password. */
  get email() { return this.kind === "account" ? account.stored()?.person.email ?? null : null; }

  /**
   * Signs in with the event's password, or (organizer_login "cognito") a user-pool account.
   * @param {string} password @param {string|null} [username]
   */
  async login(password, username = null) {
    const json = username ? { username, password } : { password };
    const { token } = await api(`${eventPath(this.slug)}/login`, { json });
    localStorage.setItem(this.key, token);
  }

  /** Signs in with an EventLens account (the embedded installation's own). */
  async signIn(email, password) {
    localStorage.removeItem(this.key);
    await account.signIn(email, password);
    this.fresh.plan();
  }

  logout() {
    if (localStorage.getItem(this.key)) localStorage.removeItem(this.key);
    else account.forget();
  }

  expire(reason) {
    this.logout();
    this.onExpired(reason);
  }

  /**
   * Calls an organizer endpoint (path under /events/{slug}/admin).
   * @param {string} path @param {Parameters<typeof api>[1]} [opts]
   */
  async admin(path, opts = {}) {
    return this.call(`${eventPath(this.slug)}/admin${path}`, opts);
  }

  /** Like admin() but for any API path, still sending the token. */
  async call(path, opts = {}) {
    try {
      if (this.kind === "account") return await account.call(path, opts);
      return await api(path, { ...opts, token: this.token });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.expire("Your session expired. Please sign in again.");
      } else if (err instanceof ApiError && err.status === 403) {
        this.onRefused(err.message);
      }
      throw err;
    }
  }
}
