/**
 * The organizer's session: the bearer token lives in sessionStorage (gone when the tab closes),
 * and any 401 ends the session in one place so every panel gets the same "session expired" path.
 */
import { api, eventPath, ApiError } from "../lib/api.js";

export class Session {
  /** @param {string} slug @param {(reason: string) => void} onExpired */
  constructor(slug, onExpired) {
    this.slug = slug;
    this.key = `eventlens.token.${slug}`;
    this.onExpired = onExpired;
  }

  get token() { return sessionStorage.getItem(this.key); }
  get active() { return Boolean(this.token); }

  /**
   * Signs in with the event's password, or (organizer_login "cognito") a user-pool account.
   * @param {string} password @param {string|null} [username]
   */
  async login(password, username = null) {
    const json = username ? { username, password } : { password };
    const { token } = await api(`${eventPath(this.slug)}/login`, { json });
    sessionStorage.setItem(this.key, token);
  }

  logout() { sessionStorage.removeItem(this.key); }

  /**
   * Calls an organizer endpoint (path under /events/{slug}/admin); a 401 expires the session.
   * @param {string} path @param {Parameters<typeof api>[1]} [opts]
   */
  async admin(path, opts = {}) {
    return this.call(`${eventPath(this.slug)}/admin${path}`, opts);
  }

  /** Like admin() but for any API path, still sending the token. */
  async call(path, opts = {}) {
    try {
      return await api(path, { ...opts, token: this.token });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.logout();
        this.onExpired("Your session expired. Please sign in again.");
      }
      throw err;
    }
  }
}
