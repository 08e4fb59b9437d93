/**
 * Activity panel: the event's audit log, newest first (sign-ins, moderation, settings, purges),
 * filtered by action, paged with "Load older".
 */
import { h } from "../lib/dom.js";
import { qs } from "../lib/api.js";

const PAGE = 50;
/** The audit actions (audit/service.py), as the panel names them. */
export const ACTIONS = {
  sign_in: "Sign-in",
  sign_out_everywhere: "Signed out everywhere",
  password_change: "Password changed",
  settings_change: "Settings changed",
  photo_hide: "Photo hidden",
  photo_unhide: "Photo unhidden",
  photo_approve: "Photo approved",
  photo_reject: "Photo rejected",
  photo_delete: "Failed file deleted",
  event_create: "Event created",
  event_delete: "Event deleted",
  face_templates_purge: "Face templates purged",
  face_hide: "Hide me",
  face_forget: "Forget me",
  face_data_purge: "Face data purged (retention)",
  face_data_erase: "Face data erased (no biometrics)",
  face_cluster_update: "Person named or hidden",
  face_cluster_merge: "People merged",
  face_cluster_split: "Person split",
  audit_export: "Audit log exported",
};

/** @param {import("./session.js").Session} session @param {(msg: string) => void} toast */
export function mountAudit(session, toast) {
  const body = document.querySelector("#audit-table tbody");
  const filter = /** @type {HTMLSelectElement} */ (document.getElementById("audit-action"));
  const older = /** @type {HTMLButtonElement} */ (document.getElementById("audit-older"));
  filter.replaceChildren(h("option", { value: "" }, "All actions"),
    ...Object.entries(ACTIONS).map(([value, label]) => h("option", { value }, label)));
  let before = null;

  function row(entry) {
    const who = entry.subject ? `${entry.actor}: ${entry.subject}` : entry.actor;
    return h("tr", { class: entry.outcome === "refused" ? "refused" : "" },
      h("td", {}, h("time", { datetime: entry.at }, new Date(entry.at).toLocaleString())),
      h("td", {}, ACTIONS[entry.action] || entry.action, entry.outcome === "refused" ? " (refused)" : ""),
      h("td", {}, who),
      h("td", {}, entry.origin || ""),
      h("td", { class: "audit-target" }, entry.target || ""));
  }

  let latest = 0;
  async function load(reset) {
    if (reset) before = null;
    const asked = ++latest;
    const page = await session.admin(`/audit${qs({ action: filter.value || null, before, limit: PAGE })}`);
    if (asked !== latest) return; // a later filter's page is (or will be) shown: this one came late
    if (reset) body.replaceChildren();
    body.append(...page.entries.map(row));
    if (reset && !page.entries.length) body.append(h("tr", {}, h("td", { colspan: "5", class: "muted" }, "Nothing yet.")));
    before = page.entries.length === PAGE ? page.entries[page.entries.length - 1].seq : null;
    older.hidden = before === null;
  }
  filter.addEventListener("change", () => load(true).catch((err) => toast(err.message)));
  older.addEventListener("click", () => load(false).catch((err) => toast(err.message)));
  return { refresh: () => load(true).catch((err) => toast(err.message)) };
}
