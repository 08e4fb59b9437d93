/**
 * The pages mailed links open: /account/invitation, /account/magic, /account/verify and
 * /account/reset, each with `#token=` (a fragment: it never reaches a server log). The token leaves
 * the address bar at once; the page signs in or up where an invitation needs it, posts the token,
 * and lands on the event's dashboard (or its gallery, for a role with nothing to manage there).
 */
import { api, ApiError } from "../lib/api.js";
import * as account from "../lib/account.js";

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const kind = (window.location.pathname.match(/^\/account\/(invitation|magic|verify|reset)\/?$/) || [])[1];
const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
if (token) history.replaceState(null, "", window.location.pathname);

const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1);

function step(title, text = "") {
  $("step-title").textContent = title;
  $("step-text").textContent = text;
  document.title = `${title} · EventLens`;
  for (const id of ["accept-step", "credentials-form", "reset-form", "request-reset-form", "continue"]) $(id).hidden = true;
}

function problem(message = "") {
  $("account-error").hidden = !message;
  $("account-error").textContent = message ? sentence(message) : "";
}

function done(message, to = "/") {
  $("account-ok").hidden = false;
  $("account-ok").textContent = message;
  /** @type {HTMLAnchorElement} */ ($("continue")).href = to;
  $("continue").hidden = false;
}

/** Runs `action` with the form's button disabled; a refusal is shown in the API's words. */
async function busy(button, action) {
  problem();
  button.disabled = true;
  try {
    await action();
  } catch (err) {
    problem(err.message);
  } finally {
    button.disabled = false;
  }
}

// ---- invitation -------------------------------------------------------------------------------

function askToAccept() {
  const who = account.stored();
  if (!who) {
    askForCredentials();
    return;
  }
  step("Accept the invitation", `Signed in as ${who.person.email}.`);
  $("accept-step").hidden = false;
}

function askForCredentials() {
  step("You are invited", "Sign in, or create an account, with the address the invitation was sent to.");
  $("credentials-form").hidden = false;
  $("email").focus();
}

/** Takes the invitation, then goes where the new role has something to do. */
async function accept() {
  let invitation;
  try {
    invitation = await account.call("/invitations/accept", { json: { token } });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      account.forget();
      askForCredentials();
    }
    throw err;
  }
  const slug = invitation.event_slug;
  if (!slug) {
    done(`You are now ${invitation.role} of the organization.`);
    return;
  }
  const me = await account.call(`/me?event=${encodeURIComponent(slug)}`);
  const base = `/e/${encodeURIComponent(slug)}`;
  const to = me.allowed.some((action) => action !== "gallery.view") ? `${base}/admin` : base;
  step("Invitation accepted", `You are now ${invitation.role} of this event.`);
  window.location.assign(to);
}

$("accept").addEventListener("click", (e) => busy(/** @type {HTMLButtonElement} */ (e.currentTarget), accept));
$("switch-account").addEventListener("click", () => {
  account.forget();
  problem();
  askForCredentials();
});

$("credentials-kind").addEventListener("change", (e) => {
  const signUp = /** @type {HTMLInputElement} */ (e.target).value === "sign-up";
  $("credentials-submit").textContent = signUp ? "Create the account and accept" : "Sign in and accept";
  $("password").setAttribute("autocomplete", signUp ? "new-password" : "current-password");
});

$("credentials-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = /** @type {HTMLFormElement} */ (e.currentTarget);
  const email = /** @type {HTMLInputElement} */ ($("email")).value.trim();
  const password = /** @type {HTMLInputElement} */ ($("password")).value;
  const signUp = /** @type {HTMLInputElement} */ (form.querySelector('input[value="sign-up"]')).checked;
  return busy(/** @type {HTMLButtonElement} */ ($("credentials-submit")), async () => {
    await (signUp ? account.signUp(email, password) : account.signIn(email, password));
    /** @type {HTMLInputElement} */ ($("password")).value = "";
    askToAccept(); // signed in now: a refusal leaves "Use another account" at hand
    await accept();
  });
});

// ---- magic link, verification, reset ----------------------------------------------------------

async function magic() {
  step("Signing you in…");
  try {
    const session = await account.signInWithLink(token);
    const to = account.takeReturnTo(null);
    if (to) {
      window.location.assign(to);
      return;
    }
    step("You are signed in", `Signed in as ${session?.person.email}.`);
    done("Open the dashboard of your event from its address, or continue to EventLens.");
  } catch (err) {
    step("This sign-in link did not work");
    problem(err.message);
  }
}

async function verify() {
  step("Confirming your address…");
  try {
    const person = await api("/account/verify", { json: { token } });
    step("Address confirmed");
    done(`${person.email} is confirmed.`, account.takeReturnTo("/"));
  } catch (err) {
    step("This confirmation link did not work");
    problem(err.message);
  }
}

function reset() {
  if (!token) {
    step("Reset your password", "We mail a link to set a new one.");
    $("request-reset-form").hidden = false;
    return;
  }
  step("Choose a new password", "Your other sessions end when it is set.");
  $("reset-form").hidden = false;
  $("new-password").focus();
}

$("reset-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = /** @type {HTMLFormElement} */ (e.currentTarget);
  const password = /** @type {HTMLInputElement} */ ($("new-password")).value;
  return busy(/** @type {HTMLButtonElement} */ (form.querySelector("button")), async () => {
    const session = await account.resetPassword(token, password);
    step("Password changed", `Signed in as ${session?.person.email}.`);
    done("Your password is changed.", account.takeReturnTo("/"));
  });
});

$("request-reset-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = /** @type {HTMLFormElement} */ (e.currentTarget);
  const email = /** @type {HTMLInputElement} */ ($("reset-email")).value.trim();
  return busy(/** @type {HTMLButtonElement} */ (form.querySelector("button")), async () => {
    await api("/account/reset", { json: { email } });
    form.hidden = true;
    done(`If ${email} has an account, a reset link is on its way.`);
  });
});

// ---- start ------------------------------------------------------------------------------------

if (!kind) {
  step("Nothing to do here");
  problem("This address is not one of EventLens's account pages.");
} else if (!token && kind !== "reset") {
  step("This link is incomplete");
  problem("Open the link from your mail again: it carries a token this address lacks.");
} else if (kind === "invitation") {
  askToAccept();
} else if (kind === "magic") {
  magic();
} else if (kind === "verify") {
  verify();
} else {
  reset();
}
