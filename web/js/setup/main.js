/**
 * The first-run wizard: one step at a time (setup code, organization, event, organizer account,
 * photo source, colours, find-me and its consent text), then one `POST /api/setup` that creates
 * it all and starts the first run; signed in with the new account, it opens the dashboard.
 * On AWS (`sign_in: "admin"`) there is no code and no account to make: the installation's admin
 * signs in first (`POST /api/setup/sign-in`) and the last step is `POST /api/setup/event`.
 */
import { api, ApiError } from "../lib/api.js";
import { signIn } from "../lib/account.js";

const $ = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ (document.getElementById("setup-form"));
let steps = /** @type {HTMLElement[]} */ ([...document.querySelectorAll("[data-step]")]);
let at = 0;
/** "code" (embedded: the setup code makes the first organizer) or "admin" (AWS: the admin signs in). */
let mode = "code";
/** The admin's ID token, once signed in (admin mode). */
let adminToken = null;

/** lowercase-dashed, as slugs are: "Launch 2026!" -> "launch-2026" */
function slugify(text) {
  return text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63);
}

/** Fill a slug from its name until the organizer edits it. */
function follow(nameId, slugId) {
  const slug = $(slugId);
  slug.addEventListener("input", () => { slug.dataset.edited = "1"; });
  $(nameId).addEventListener("input", () => {
    if (!slug.dataset.edited) slug.value = slugify($(nameId).value);
  });
}

function showError(message) {
  const box = $("setup-error");
  box.textContent = message || "";
  box.hidden = !message;
}

function sourceKind() {
  return /** @type {HTMLInputElement} */ (form.querySelector("input[name=source-kind]:checked")).value;
}

function sourceChanged() {
  const kind = sourceKind();
  const labels = { folder: "Folder path", drive: "Drive folder id (from its address)", s3: "s3://bucket/prefix" };
  $("source-location-label").textContent = labels[kind] || "";
  $("source-location").hidden = $("source-location-label").hidden = kind === "none";
  $("drive-credentials").hidden = kind !== "drive";
}

/** The wizard of the installation's admin: sign-in instead of the code and the new account; the
 * photos are in S3 or Drive (a folder path would be the server's own disk). */
function adminMode() {
  mode = "admin";
  steps = steps.filter((step) => {
    const unused = ["code", "account"].includes(step.dataset.step || "");
    if (unused) step.remove();
    return !unused;
  });
  $("source-folder").hidden = true;
  /** @type {HTMLInputElement} */ (form.querySelector("input[name=source-kind][value=s3]")).checked = true;
  form.querySelector("label[for=source-credentials]").textContent =
    "Secrets Manager secret ARN holding the service-account JSON (named <stack>/drive/…)";
  sourceChanged();
}

async function adminSignIn() {
  const reply = await api("/setup/sign-in", {
    json: { username: $("admin-username").value.trim(), password: $("admin-password").value },
  });
  adminToken = reply.token;
}

function request() {
  const kind = sourceKind();
  const body = {
    organization_name: $("organization-name").value.trim(),
    organization_slug: $("organization-slug").value.trim(),
    event_name: $("event-name").value.trim(),
    event_slug: $("event-slug").value.trim(),
    visibility: $("event-private").checked ? "private" : "public",
    source: { kind, location: kind === "none" ? "" : $("source-location").value.trim(), credentials: $("source-credentials").value.trim() },
    theme: {
      primary: $("theme-primary").value, accent: $("theme-accent").value,
      background: $("theme-background").value, text: $("theme-text").value,
    },
    face_matching: $("face-matching").checked,
    consent_text: $("consent-text").value.trim() || null,
  };
  if (mode === "code") {
    Object.assign(body, {
      code: $("code").value.trim(),
      display_name: $("display-name").value.trim(),
      email: $("email").value.trim(),
      password: $("password").value,
    });
  }
  return body;
}

function review() {
  const r = request();
  const source = { folder: "Folder", drive: "Google Drive folder", s3: "S3", none: "None yet" }[r.source.kind];
  const rows = [
    ["Organization", `${r.organization_name} (${r.organization_slug})`],
    ["Event", `${r.event_name} — /e/${r.event_slug} (${r.visibility})`],
    ["Account", mode === "admin" ? $("admin-username").value.trim() : r.email],
    ["Photos", r.source.kind === "none" ? source : `${source}: ${r.source.location}`],
    ["Find me", r.face_matching ? "On" : "Off"],
  ];
  const list = $("review");
  list.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = v;
    return [dt, dd];
  }));
}

function show(index) {
  at = index;
  steps.forEach((step, i) => { step.hidden = i !== at; });
  const progress = $("setup-progress");
  progress.replaceChildren(...steps.map((step, i) => {
    const li = document.createElement("li");
    li.textContent = step.dataset.title || "";
    if (i === at) li.setAttribute("aria-current", "step");
    return li;
  }));
  $("setup-back").hidden = at === 0;
  $("setup-next").textContent = steps[at].dataset.step === "review" ? "Create and start the first run" : "Next";
  if (steps[at].dataset.step === "review") review();
  showError("");
  const first = steps[at].querySelector("input:not([type=radio]):not([type=checkbox]), textarea");
  if (first instanceof HTMLElement) first.focus();
}

/** The step's own fields pass the browser's checks (required, pattern, minlength). */
function stepValid() {
  const fields = /** @type {HTMLInputElement[]} */ ([...steps[at].querySelectorAll("input, textarea")]);
  for (const field of fields) {
    if (!field.hidden && !field.checkValidity()) {
      showError(`${field.labels?.[0]?.textContent || field.id}: ${field.validationMessage}`);
      field.focus();
      return false;
    }
  }
  if (steps[at].dataset.step === "source" && sourceKind() !== "none" && !$("source-location").value.trim()) {
    showError("Say where the photos are, or choose “None yet”.");
    return false;
  }
  return true;
}

async function finish() {
  const body = request();
  const next = $("setup-next");
  next.disabled = true;
  next.textContent = "Creating…";
  try {
    const result = mode === "admin"
      ? await api("/setup/event", { json: body, token: adminToken })
      : await api("/setup", { json: body });
    if (mode === "code") await signIn(body.email, body.password);
    steps.forEach((step) => { step.hidden = true; });
    $("setup-progress").hidden = true;
    $("setup-actions").hidden = true;
    $("step-done").hidden = false;
    $("done-text").textContent = result.run
      ? `The first run has started for ${result.event}: photos appear in the gallery as they are processed.`
      : `${result.event} is ready: upload photos from the dashboard.`;
    if (body.consent_text && !result.consent_text_kept) {
      $("done-text").textContent += " The consent text was not stored: this installation has no consent setting.";
    }
    $("open-dashboard").setAttribute("href", `/e/${encodeURIComponent(result.event)}/admin`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 403 || error.status === 401)) show(0);  // the code, or sign in again
    showError(error instanceof ApiError ? error.message : String(error));
  } finally {
    next.disabled = false;
    if (steps[at].dataset.step === "review") next.textContent = "Create and start the first run";
  }
}

async function start() {
  follow("organization-name", "organization-slug");
  follow("event-name", "event-slug");
  form.querySelectorAll("input[name=source-kind]").forEach((radio) => radio.addEventListener("change", sourceChanged));
  sourceChanged();
  $("setup-back").addEventListener("click", () => show(Math.max(0, at - 1)));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!stepValid()) return;
    if (steps[at].dataset.step === "review") finish();
    else if (steps[at].dataset.step === "admin") {
      adminSignIn().then(() => show(at + 1), (error) => showError(error instanceof ApiError ? error.message : String(error)));
    } else show(at + 1);
  });
  const status = await api("/setup");
  if (status.sign_in === "admin") {
    adminMode();
    show(0);
    return;
  }
  steps = steps.filter((step) => {
    if (step.dataset.step === "admin") step.remove();
    return step.dataset.step !== "admin";
  });
  if (!status.needed || !status.code_issued) {
    $("step-closed").hidden = false;
    $("setup-actions").hidden = true;
    $("setup-progress").hidden = true;
    $("closed-text").textContent = status.needed
      ? "Start the server with `eventlens serve`: it prints the setup code this page asks for."
      : "This installation has events already: sign in on an event's dashboard (/e/<event>/admin) to manage them.";
    return;
  }
  show(0);
}

start().catch((error) => showError(String(error)));
