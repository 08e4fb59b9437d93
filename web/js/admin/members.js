/**
 * Members panel: who holds a role in the event (and through its organization), and for a role
 * that may manage members, invitations by email, role changes and removals. Roles offered stop
 * at the caller's own (the API refuses more; its message is shown as it says it).
 */
import { h, formatDate } from "../lib/dom.js";
import { shows } from "./rights.js";

/** The six roles of access/rights.py, lowest first. */
export const ROLES = ["VIEWER", "MEMBER", "CONTRIBUTOR", "EDITOR", "ADMIN", "SUPER_ADMIN"];

/** Roles `role` may hand out: up to its own. */
export const grantable = (role) => ROLES.slice(0, ROLES.indexOf(role) + 1);

/**
 * @param {import("./session.js").Session} session
 * @param {(msg: string) => void} toast
 * @param {() => string|null} myRole  the caller's role in the event, from /api/me
 */
export function mountMembers(session, toast, myRole) {
  const tbody = /** @type {HTMLElement} */ (document.querySelector("#members-table tbody"));
  const invitesEl = /** @type {HTMLElement} */ (document.getElementById("invitations"));
  const errorEl = /** @type {HTMLElement} */ (document.getElementById("members-error"));
  const form = /** @type {HTMLFormElement} */ (document.getElementById("invite-form"));
  const roleSelect = /** @type {HTMLSelectElement} */ (document.getElementById("invite-role"));
  let generation = 0;

  function problem(message = "") {
    errorEl.hidden = !message;
    errorEl.textContent = message.charAt(0).toUpperCase() + message.slice(1);
  }

  /** Runs an action; its refusal is shown in the panel in the API's words. */
  async function attempt(action) {
    problem();
    try {
      await action();
      return true;
    } catch (err) {
      problem(err.message);
      return false;
    }
  }

  const options = (selected) => grantable(myRole() || "VIEWER").map((r) =>
    h("option", { value: r, selected: r === selected }, r));

  function memberRow(m) {
    const manage = shows(".member-manage");
    const mine = grantable(myRole() || "VIEWER").includes(m.role);
    const who = m.display_name ? `${m.email} (${m.display_name})` : m.email;
    let roleCell = m.role;
    let actions = null;
    if (manage && m.level === "event" && mine) {
      const select = h("select", { class: "member-manage", "aria-label": `Role of ${m.email}`,
        onchange: async () => {
          select.disabled = true;
          const ok = await attempt(() => session.admin(`/members/${encodeURIComponent(m.person_id)}`,
            { method: "PATCH", json: { role: select.value } }));
          if (ok) toast(`${m.email} is now ${select.value}`);
          await refresh();
        } }, options(m.role));
      roleCell = select;
      actions = h("button", { type: "button", class: "btn btn-small member-manage member-remove",
        "aria-label": `Remove ${m.email}`,
        onclick: async () => {
          if (await attempt(() => session.admin(`/members/${encodeURIComponent(m.person_id)}`, { method: "DELETE" }))) {
            toast(`${m.email} removed`);
            await refresh();
          }
        } }, "Remove");
    }
    return h("tr", { dataset: { email: m.email } },
      h("td", {}, who), h("td", {}, roleCell),
      h("td", {}, m.level === "event" ? "This event" : "Organization"),
      h("td", {}, formatDate(m.granted_at)), h("td", {}, actions));
  }

  function invitationItem(inv) {
    return h("li", { class: "invitation", dataset: { email: inv.email } },
      h("span", {}, h("strong", {}, inv.email), ` as ${inv.role}`),
      h("span", { class: "muted" }, `expires ${formatDate(inv.expires_at)}`),
      h("button", { type: "button", class: "btn btn-small", "aria-label": `Withdraw the invitation for ${inv.email}`,
        onclick: async () => {
          if (await attempt(() => session.admin(`/invitations/${encodeURIComponent(inv.id)}`, { method: "DELETE" }))) {
            toast(`Invitation for ${inv.email} withdrawn`);
            await refresh();
          }
        } }, "Withdraw"));
  }

  async function refresh() {
    const gen = ++generation;
    const chosen = roleSelect.value || "VIEWER";
    roleSelect.replaceChildren(...options(chosen));
    try {
      const [{ members }, invitations] = await Promise.all([
        session.admin("/members"),
        shows("#members-manage") ? session.admin("/invitations") : Promise.resolve(null),
      ]);
      if (gen !== generation) return;
      tbody.replaceChildren(...members.map(memberRow));
      if (invitations) {
        invitesEl.replaceChildren(invitations.invitations.length
          ? h("ul", { class: "invitation-list" }, invitations.invitations.map(invitationItem))
          : h("p", { class: "muted" }, "No open invitations."));
      }
    } catch (err) {
      if (err.status !== 401) problem(err.message);
    }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const email = /** @type {HTMLInputElement} */ (form.elements.namedItem("email"));
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("button"));
    button.disabled = true;
    const role = roleSelect.value;
    const ok = await attempt(() => session.admin("/invitations", { json: { email: email.value.trim(), role } }));
    button.disabled = false;
    if (ok) {
      toast(`Invitation mailed to ${email.value.trim()}`);
      email.value = "";
      await refresh();
    }
  });

  return { refresh };
}
