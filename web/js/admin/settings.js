/** Settings panel: event name, theme colours and the face-matching switch, saved with one PATCH. */
import { applyTheme } from "../lib/theme.js";

const COLOURS = ["primary", "accent", "background", "text"];

/**
 * @param {import("./session.js").Session} session
 * @param {(event: any) => void} onSaved  lets the page update its header and theme
 */
export function mountSettings(session, onSaved) {
  const form = /** @type {HTMLFormElement} */ (document.getElementById("settings-form"));
  const status = document.getElementById("settings-status");
  const fields = /** @type {HTMLFieldSetElement} */ (document.getElementById("settings-fields"));

  form.addEventListener("input", (e) => {
    if (/** @type {HTMLInputElement} */ (e.target).type === "color") applyTheme(readTheme());
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.textContent = "Saving…";
    try {
      const event = await session.admin("/settings", {
        method: "PATCH",
        json: {
          name: field("name").value.trim(),
          theme: readTheme(),
          face_matching: field("face_matching").checked,
        },
      });
      status.textContent = "Saved.";
      onSaved(event);
    } catch (err) {
      status.textContent = `Not saved: ${err.message}`;
    }
  });

  function field(name) { return /** @type {HTMLInputElement} */ (form.elements.namedItem(name)); }
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
      field("name").value = event.name;
      const theme = (event.settings && event.settings.theme) || {};
      const css = getComputedStyle(document.documentElement);
      for (const c of COLOURS) field(c).value = toHex(theme[c] || css.getPropertyValue(`--${c}`).trim());
      field("face_matching").checked = Boolean(event.settings && event.settings.face_matching);
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
