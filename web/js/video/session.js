/**
 * This tab's viewing session: a random id (18 bytes, base64url) made on first use and kept in
 * sessionStorage. Views, upvotes, watch time and flags count once per session; the server stores
 * only a hash of it. Null when the browser refuses storage (those actions then say so).
 */
const KEY = "eventlens.viewing.session";

export function viewingSession() {
  try {
    let id = sessionStorage.getItem(KEY);
    if (!id) {
      const bytes = crypto.getRandomValues(new Uint8Array(18));
      id = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      sessionStorage.setItem(KEY, id);
    }
    return id;
  } catch {
    return null;
  }
}

export const sessionHeaders = () => {
  const id = viewingSession();
  return id ? { "X-EventLens-Session": id } : {};
};
