/** The album pages' one line of feedback: an error (role=alert) or a confirmation (role=status). */
import { ApiError } from "../lib/api.js";
import { $ } from "../lib/dom.js";

export function say(message, ok = false) {
  const error = $("#album-error");
  const done = $("#album-ok");
  error.hidden = ok || !message;
  done.hidden = !ok || !message;
  (ok ? done : error).textContent = message || "";
}

export function explain(err) {
  say(err instanceof ApiError ? err.message : String(err));
}
