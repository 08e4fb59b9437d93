/**
 * Settings panel: event name, theme colours, the face-matching switch and the event's face data
 * (consent text, retention days, end day, blur on forget me, no biometrics), saved with one PATCH.
 */
import { applyTheme } from "../lib/theme.js";

const COLOURS = ["primary", "accent", "background", "text"];
/** WCAG AA for body text; the server refuses the same (events/contrast.py). */
export const MIN_CONTRAST = 4.5;

/**
 * @param {import("./session.js").Session} session
 * @param {(event: any) => void} onSaved  lets the page update its header and theme
 */
export function mountSettings(session, onSaved) {
  const form = /** @type {HTMLFormElement} */ (document.getElementById("settings-form"));
  const status = document.getElementById("settings-status");
  const fields = /** @type {HTMLFieldSetElement} */ (document.getElementById("settings-fields"));

  let dirty = false;
  // Leaving (closing the tab, reloading, signing out by navigation) with edits not saved asks first.
  window.addEventListener("beforeunload", (e) => {
    if (!dirty) return;
    e.preventDefault();
    e.returnValue = "";
  });

  form.addEventListener("input", (e) => {
    dirty = true;
    if (/** @type {HTMLInputElement} */ (e.target).type !== "color") return;
    const problem = unreadable(readTheme());
    status.textContent = problem || "";
    if (!problem) applyTheme(readTheme()); // preview only a theme one can still read
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const problem = unreadable(readTheme());
    if (problem) {
      status.textContent = problem;
      field("text").focus();
      return;
    }
    const noBiometrics = field("no_biometrics");
    if (noBiometrics.checked && !noBiometricsWas
      && !window.confirm("No biometrics deletes every face template of this event now and turns Find me off. Continue?")) {
      noBiometrics.focus();
      return;
    }
    status.textContent = "Saving…";
    try {
      const event = await session.admin("/settings", {
        method: "PATCH",
        json: {
          name: field("name").value.trim(),
          theme: readTheme(),
          face_matching: field("face_matching").checked,
          ...faceData(),
        },
      });
      status.textContent = "Saved.";
      dirty = false;
      onSaved(event);
    } catch (err) {
      status.textContent = `Not saved: ${err.message}`;
    }
  });

  function field(name) { return /** @type {HTMLInputElement} */ (form.elements.namedItem(name)); }
  let noBiometricsWas = false;
  /** The face-data settings as the PATCH takes them; an emptied text or day is unset (null): the
   *  standard consent text, and the day the last photo arrived. */
  function faceData() {
    return {
      face_retention_days: Number(field("face_retention_days").value),
      blur_forgotten_faces: field("blur_forgotten_faces").checked,
      no_biometrics: field("no_biometrics").checked,
      consent_text: field("consent_text").value.trim() || null,
      ends_on: field("ends_on").value || null,
    };
  }
  function readTheme() { return Object.fromEntries(COLOURS.map((c) => [c, field(c).value])); }

  return {
    /** Locks the form while the event loads, so a late reply cannot overwrite an edit. */
    loading() {
      fields.disabled = true;
      status.textContent = "Loading…";
    },
    /** Fills the form from an Event and unlocks it. */
    show(event) {
      fields.disabled = false;
      dirty = false;
      field("name").value = event.name;
      const theme = (event.settings && event.settings.theme) || {};
      const css = getComputedStyle(document.documentElement);
      for (const c of COLOURS) field(c).value = toHex(theme[c] || css.getPropertyValue(`--${c}`).trim());
      const s = event.settings || {};
      field("face_matching").checked = Boolean(s.face_matching);
      field("consent_text").value = s.consent_text || "";
      field("face_retention_days").value = String(s.face_retention_days ?? 30);
      field("ends_on").value = s.ends_on || "";
      field("blur_forgotten_faces").checked = Boolean(s.blur_forgotten_faces);
      field("no_biometrics").checked = noBiometricsWas = Boolean(s.no_biometrics);
      status.textContent = "";
    },
  };
}

/** <input type=color> only takes #rrggbb. */
function toHex(colour) {
  if (/^#[0-9a-f]{6}$/i.test(colour)) return colour;
  if (/^#[0-9a-f]{3}$/i.test(colour)) return `#${[...colour.slice(1)].map((c) => c + c).join("")}`;
  return "#000000";
}

/** Why the theme's text cannot be read on its background, or "" when it can. */
function unreadable(theme) {
  const ratio = contrast(theme.text, theme.background);
  return ratio < MIN_CONTRAST
    ? `Text colour too close to the background: contrast ${ratio.toFixed(2)}:1, at least ${MIN_CONTRAST}:1 is needed.`
    : "";
}

/** WCAG 2 contrast ratio of two #rrggbb colours. */
export function contrast(a, b) {
  const lum = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const [x, y] = [lum(a), lum(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}
