/**
 * The organizer dashboard: sign-in (the event password, or an account by password or mailed link),
 * then the panels the caller's role may use (`/api/me` lists its actions; rights.js maps them to
 * tabs and buttons). Panels load on first view; a 401 returns to sign-in, a 403 re-reads the role.
 */
import { api, eventPath, eventSlug } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { applyTheme } from "../lib/theme.js";
import { mailSignInLink, returnHere } from "../lib/account.js";
import { Session } from "./session.js";
import { applyRights } from "./rights.js";
import { mountPipeline } from "./pipeline.js";
import { mountUpload } from "./upload.js";
import { mountReview } from "./review.js";
import { mountSettings } from "./settings.js";
import { mountAudit } from "./audit.js";
import { mountMembers } from "./members.js";
import { mountPeople } from "./people.js";
import { mountAnalytics } from "./analytics.js";
import { mountJobs } from "./jobs.js";
import { mountLibrary } from "./library.js";
import { mountAlbums } from "./albums.js";

const slug = eventSlug();
const loginView = document.getElementById("login-view");
const noRoleView = document.getElementById("norole-view");
const appView = document.getElementById("app-view");
const loginError = document.getElementById("login-error");
const loginInfo = document.getElementById("login-info");
const logoutBtn = document.getElementById("logout");
const signedInAs = document.getElementById("signed-in-as");
const loginForm = /** @type {HTMLFormElement} */ (document.getElementById("login-form"));
const usernameInput = /** @type {HTMLInputElement} */ (document.getElementById("username"));
const passwordInput = /** @type {HTMLInputElement} */ (document.getElementById("password"));
/**
 * What the form asks for: "password" (the event's own), "account" (an embedded account) or
 * "cognito" (the event's organizer_login on AWS: a user-pool account, sent to the event's login).
 */
let loginKind = "password";
const tabs = /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll('#admin-tabs [role="tab"]')]);
const visibleTabs = () => tabs.filter((t) => !t.hidden);

const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1);

function toast(message) {
  const el = h("div", { class: "toast", role: "status" }, message);
  document.body.append(el);
  setTimeout(() => el.remove(), 3500);
}

const session = new Session(slug || "", (reason) => showLogin(reason), (reason) => recheckRole(reason));
/** The caller's role in the event and what it may do, from `/api/me`. */
let me = { role: null, allowed: [] };
/** @type {ReturnType<typeof mountPipeline>|null} */
let pipeline = null;
/** @type {ReturnType<typeof mountReview>|null} */
let review = null;
let settings = null;
let uploadMounted = false;
/** @type {ReturnType<typeof mountAudit>|null} */
let activity = null;
/** @type {ReturnType<typeof mountMembers>|null} */
let members = null;
/** @type {ReturnType<typeof mountPeople>|null} */
let people = null;
let analytics = null;
/** @type {ReturnType<typeof mountJobs> | null} */
let jobsPanel = null;
let library = null;
let albums = null;

function showEvent(event) {
  applyTheme(event.settings && event.settings.theme);
  document.getElementById("event-name").textContent = event.name;
  document.title = `${event.name} · Organizer dashboard`;
}

/** Shows the fields `kind` needs: an email for an account, the links for an embedded one. */
function showLoginKind(kind) {
  loginKind = kind;
  const email = kind !== "password";
  for (const el of document.querySelectorAll("[data-login]")) {
    const wants = /** @type {HTMLElement} */ (el).dataset.login;
    /** @type {HTMLElement} */ (el).hidden = !(wants === "email" ? email : wants === kind);
  }
  usernameInput.disabled = !email;
  usernameInput.required = email;
  document.getElementById("login-kind").hidden = kind === "cognito";
  document.getElementById("password-label").textContent = email ? "Password" : "Organizer password";
  document.getElementById("login-hint").textContent = {
    password: "Enter the organizer password for this event.",
    account: "Sign in with your EventLens account.",
    cognito: "Sign in with your organizer account.",
  }[kind];
}

function showOnly(view) {
  for (const v of [loginView, noRoleView, appView]) v.hidden = v !== view;
  const inApp = view === appView;
  logoutBtn.hidden = !inApp;
  signedInAs.hidden = !inApp || !session.email;
  signedInAs.textContent = session.email ? `Signed in as ${session.email}` : "";
}

function stopPanels() {
  pipeline?.stop();
  pipeline = null;
}

function showLogin(message = "") {
  stopPanels();
  showOnly(loginView);
  loginError.hidden = !message;
  loginError.textContent = message;
  (loginKind !== "password" && !usernameInput.value ? usernameInput : passwordInput).focus();
}

function showNoRole(message) {
  stopPanels();
  showOnly(noRoleView);
  document.getElementById("norole-message").textContent = message;
  document.getElementById("norole-email").textContent = session.email || "the event password";
}

/** Asks the API who the caller is here and hides what the role may not use. */
async function loadRights() {
  me = await session.call(`/me?event=${encodeURIComponent(/** @type {string} */ (slug))}`);
  applyRights(me.allowed);
  return me;
}

async function showApp() {
  try {
    await loadRights();
  } catch (err) {
    if (err.status !== 401) showLogin(sentence(err.message));
    return;
  }
  if (!me.role || !visibleTabs().length) {
    showNoRole(me.role
      ? `Your role in this event (${me.role}) has nothing to manage here: the gallery is all yours.`
      : "You have no role in this event: ask one of its admins to invite you.");
    return;
  }
  showOnly(appView);
  const current = visibleTabs().find((t) => t.getAttribute("aria-selected") === "true") || visibleTabs()[0];
  select(current);
}

let rechecking = false;
/** A refusal (403): the role changed or is gone. Re-read it, and say what happened. */
async function recheckRole(reason) {
  if (rechecking || appView.hidden) return;
  rechecking = true;
  try {
    await loadRights();
    if (!me.role) {
      showNoRole(reason);
      return;
    }
    toast(reason);
    const current = tabs.find((t) => t.getAttribute("aria-selected") === "true");
    if (current?.hidden) select(visibleTabs()[0]);
  } catch (err) {
    if (err.status !== 401) showNoRole(reason);
  } finally {
    rechecking = false;
  }
}

function select(tab) {
  if (!tab) return;
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(/** @type {string} */ (t.getAttribute("aria-controls"))).hidden = !on;
  }
  const name = tab.id.replace("tab-", "");
  if (name === "pipeline") pipeline ? pipeline.refresh() : (pipeline = mountPipeline(session, toast));
  if (name === "upload" && !uploadMounted) {
    uploadMounted = true;
    mountUpload(session, () => pipeline?.refresh());
  }
  if (name === "review") (review ||= mountReview(session, toast)).refresh();
  if (name === "activity") (activity ||= mountAudit(session, toast)).refresh();
  if (name === "members") (members ||= mountMembers(session, toast, () => me.role)).refresh();
  if (name === "people") (people ||= mountPeople(session, toast)).refresh();
  if (name === "findme") (analytics ||= mountAnalytics(session, toast)).refresh();
  if (name === "jobs") (jobsPanel ||= mountJobs(session, toast)).refresh();
  if (name === "library") (library ||= mountLibrary(session, toast)).refresh();
  if (name === "albums") (albums ||= mountAlbums(session, toast)).refresh();
  if (name === "settings") {
    settings ||= mountSettings(session, showEvent);
    settings.loading();
    api(eventPath(slug)).then((e) => settings.show(e)).catch((err) => toast(err.message));
  }
  const url = new URL(window.location.href);
  url.hash = name === "pipeline" ? "" : name;
  history.replaceState(null, "", url);
}

document.getElementById("admin-tabs").addEventListener("click", (e) => {
  const tab = /** @type {HTMLElement} */ (e.target).closest('[role="tab"]');
  if (tab) select(tab);
});
document.getElementById("admin-tabs").addEventListener("keydown", (e) => {
  const shown = visibleTabs();
  const i = shown.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
  const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: shown.length - 1 }[e.key];
  if (i < 0 || next === undefined) return;
  e.preventDefault();
  const tab = shown[(next + shown.length) % shown.length];
  tab.focus();
  select(tab);
});

document.getElementById("login-kind").addEventListener("change", (e) => {
  showLoginKind(/** @type {HTMLInputElement} */ (e.target).value);
  loginError.hidden = loginInfo.hidden = true;
  (loginKind === "account" ? usernameInput : passwordInput).focus();
});

loginForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = /** @type {HTMLButtonElement} */ (loginForm.querySelector('button[type="submit"]'));
  button.disabled = true;
  loginInfo.hidden = true;
  try {
    if (loginKind === "account") await session.signIn(usernameInput.value.trim(), passwordInput.value);
    else await session.login(passwordInput.value, loginKind === "cognito" ? usernameInput.value.trim() : null);
    passwordInput.value = "";
    await showApp();
  } catch (err) {
    loginError.hidden = false;
    // Accounts and Cognito say what went wrong (e.g. set a permanent password); pass that on.
    loginError.textContent = err.status === 401 && loginKind === "password" ? "Wrong password." : sentence(err.message);
  } finally {
    button.disabled = false;
  }
});

document.getElementById("mail-link").addEventListener("click", async () => {
  loginError.hidden = loginInfo.hidden = true;
  if (!usernameInput.reportValidity()) return;
  try {
    await mailSignInLink(usernameInput.value.trim(), window.location.pathname);
    loginInfo.hidden = false;
    loginInfo.textContent = `If ${usernameInput.value.trim()} has an account, a sign-in link is on its way. Open it in this browser.`;
  } catch (err) {
    loginError.hidden = false;
    loginError.textContent = sentence(err.message);
  }
});

document.querySelector('#login-form a[href="/account/reset"]')
  ?.addEventListener("click", () => returnHere(window.location.pathname));

function signOut(message) {
  session.logout();
  showLoginKind(loginKind === "cognito" ? "cognito" : "password");
  /** @type {HTMLInputElement} */ (loginForm.querySelector('input[value="password"]')).checked = true;
  showLogin(message);
}

logoutBtn.addEventListener("click", () => signOut("You are signed out."));
document.getElementById("norole-signout").addEventListener("click", () => signOut(""));

async function start() {
  if (!slug) {
    showLogin("No event in the address. Open /e/{event}/admin.");
    return;
  }
  const gallery = `/e/${encodeURIComponent(slug)}`;
  /** @type {HTMLAnchorElement} */ (document.getElementById("gallery-link")).href = gallery;
  /** @type {HTMLAnchorElement} */ (document.getElementById("norole-gallery")).href = gallery;
  const hashTab = tabs.find((t) => t.id === `tab-${window.location.hash.slice(1)}`);
  if (hashTab) for (const t of tabs) t.setAttribute("aria-selected", String(t === hashTab));
  api(eventPath(slug))
    .then((event) => {
      showEvent(event);
      if (event.organizer_login === "cognito") showLoginKind("cognito");
    })
    .catch(() => { /* the header and the password form keep their defaults */ });
  if (session.active) await showApp();
  else showLogin();
}

start();
