/**
 * The organizer dashboard: sign-in, then five panels (pipeline, upload, review, settings, activity).
 * Panels load on first view; a 401 from any of them returns to the sign-in form.
 */
import { api, eventPath, eventSlug } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { applyTheme } from "../lib/theme.js";
import { Session } from "./session.js";
import { mountPipeline } from "./pipeline.js";
import { mountUpload } from "./upload.js";
import { mountReview } from "./review.js";
import { mountSettings } from "./settings.js";
import { mountAudit } from "./audit.js";

const slug = eventSlug();
const loginView = document.getElementById("login-view");
const appView = document.getElementById("app-view");
const loginError = document.getElementById("login-error");
const logoutBtn = document.getElementById("logout");
const usernameInput = /** @type {HTMLInputElement} */ (document.getElementById("username"));
const passwordInput = /** @type {HTMLInputElement} */ (document.getElementById("password"));
/** The event's organizer_login: "password" (the event's own) or "cognito" (a user-pool account). */
let organizerLogin = "password";
const tabs = /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll('#admin-tabs [role="tab"]')]);

const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1);

function toast(message) {
  const el = h("div", { class: "toast", role: "status" }, message);
  document.body.append(el);
  setTimeout(() => el.remove(), 3500);
}

const session = new Session(slug || "", (reason) => showLogin(reason));
/** @type {ReturnType<typeof mountPipeline>|null} */
let pipeline = null;
/** @type {ReturnType<typeof mountReview>|null} */
let review = null;
let settings = null;
let uploadMounted = false;
/** @type {ReturnType<typeof mountAudit>|null} */
let activity = null;

function showEvent(event) {
  applyTheme(event.settings && event.settings.theme);
  document.getElementById("event-name").textContent = event.name;
  document.title = `${event.name} · Organizer dashboard`;
}

/** Asks for what the event's organizer_login needs: a username only for "cognito". */
function showOrganizerLogin(mode) {
  organizerLogin = mode === "cognito" ? "cognito" : "password";
  const cognito = organizerLogin === "cognito";
  for (const el of document.querySelectorAll('[data-organizer-login="cognito"]')) {
    /** @type {HTMLElement} */ (el).hidden = !cognito;
  }
  usernameInput.disabled = !cognito;
  usernameInput.required = cognito;
  document.getElementById("password-label").textContent = cognito ? "Password" : "Organizer password";
  document.getElementById("login-hint").textContent = cognito
    ? "Sign in with your organizer account."
    : "Enter the organizer password for this event.";
  if (!loginView.hidden && cognito && !usernameInput.value) usernameInput.focus();
}

function showLogin(message = "") {
  pipeline?.stop();
  pipeline = null;
  appView.hidden = true;
  logoutBtn.hidden = true;
  loginView.hidden = false;
  loginError.hidden = !message;
  loginError.textContent = message;
  (organizerLogin === "cognito" && !usernameInput.value ? usernameInput : passwordInput).focus();
}

async function showApp() {
  loginView.hidden = true;
  appView.hidden = false;
  logoutBtn.hidden = false;
  const current = tabs.find((t) => t.getAttribute("aria-selected") === "true") || tabs[0];
  select(current);
}

function select(tab) {
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
  const i = tabs.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
  const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
  if (i < 0 || next === undefined) return;
  e.preventDefault();
  const tab = tabs[(next + tabs.length) % tabs.length];
  tab.focus();
  select(tab);
});

document.getElementById("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const cognito = organizerLogin === "cognito";
  const button = /** @type {HTMLButtonElement} */ (/** @type {HTMLFormElement} */ (e.target).querySelector("button"));
  button.disabled = true;
  try {
    await session.login(passwordInput.value, cognito ? usernameInput.value.trim() : null);
    passwordInput.value = "";
    await showApp();
  } catch (err) {
    loginError.hidden = false;
    // Cognito's refusals say what to do (e.g. set a permanent password); pass them on.
    loginError.textContent = err.status === 401 && !cognito ? "Wrong password." : sentence(err.message);
  } finally {
    button.disabled = false;
  }
});

logoutBtn.addEventListener("click", () => {
  session.logout();
  showLogin("You are signed out.");
});

async function start() {
  if (!slug) {
    showLogin("No event in the address. Open /e/{event}/admin.");
    return;
  }
  /** @type {HTMLAnchorElement} */ (document.getElementById("gallery-link")).href = `/e/${encodeURIComponent(slug)}`;
  const hashTab = tabs.find((t) => t.id === `tab-${window.location.hash.slice(1)}`);
  if (hashTab) for (const t of tabs) t.setAttribute("aria-selected", String(t === hashTab));
  api(eventPath(slug))
    .then((event) => {
      showEvent(event);
      showOrganizerLogin(event.organizer_login);
    })
    .catch(() => { /* the header and the password form keep their defaults */ });
  if (session.active) await showApp();
  else showLogin();
}

start();
