/**
 * The one place that knows how to talk to the EventLens API: base path, JSON, the
 * {"message"} error shape and the organizer's bearer token. Pages never call fetch directly.
 */

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** The event slug from `/e/{slug}[/admin]` or `?event={slug}`; null when the URL names none. */
export function eventSlug(loc = window.location) {
  const m = loc.pathname.match(/^\/e\/([^/]+)/);
  if (m) return decodeURIComponent(m[1]);
  return new URLSearchParams(loc.search).get("event");
}

/** Query string from an object, skipping empty values so URLs stay short and cacheable. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

async function errorMessage(res) {
  try {
    const body = await res.json();
    if (body && typeof body.message === "string") return body.message;
  } catch { /* not JSON: fall through to the status text */ }
  return res.status === 413 ? "That file is too large." : `Request failed (${res.status} ${res.statusText})`;
}

let galleryPass = null;

/**
 * A private gallery's pass (`POST /events/{slug}/pass`): sent with every call that names no token
 * of its own, so the gallery's modules need not know the event is private.
 * @param {string|null} token
 */
export function useGalleryPass(token) { galleryPass = token; }

/**
 * Calls the API and returns parsed JSON (or the Response when `raw`).
 * @param {string} path  path under /api, e.g. `/events/demo`
 * @param {{method?: string, json?: unknown, body?: BodyInit, token?: string|null,
 *          signal?: AbortSignal, raw?: boolean}} [opts]
 */
export async function api(path, opts = {}) {
  const headers = { Accept: "application/json" };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  }
  const bearer = opts.token || galleryPass;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const res = await fetch(`/api${path}`, {
    method: opts.method || (body ? "POST" : "GET"),
    headers,
    body,
    signal: opts.signal,
  });
  if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
  if (opts.raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

/** Path prefix for one event's endpoints. */
export const eventPath = (slug) => `/events/${encodeURIComponent(slug)}`;
