/**
 * Folder tabs, tag chips, media-type and sort pickers. It only reports changes; the page decides
 * what to reload, so the toolbar stays ignorant of the API.
 */
import { h } from "../lib/dom.js";

/**
 * @param {{folders: string[], tags: string[], state: {folder: string, tag: string, kind: string, sort: string},
 *          onChange: (patch: Record<string, string>) => void}} opts
 */
export function mountToolbar({ folders, tags, state, onChange }) {
  const folderTabs = document.getElementById("folder-tabs");
  const tagRow = document.getElementById("tag-tabs");
  const kind = /** @type {HTMLSelectElement} */ (document.getElementById("kind-select"));
  const sort = /** @type {HTMLSelectElement} */ (document.getElementById("sort-select"));

  const tabs = [["", "All photos"], ...folders.map((f) => [f, f])].map(([value, label]) =>
    h("button", { type: "button", role: "tab", class: "chip tab", "aria-selected": String(value === state.folder),
      tabindex: value === state.folder ? "0" : "-1", dataset: { value } }, label));
  folderTabs.replaceChildren(...tabs);
  folderTabs.closest("nav").hidden = folders.length === 0;
  folderTabs.addEventListener("click", (e) => {
    const tab = /** @type {HTMLElement} */ (e.target).closest('[role="tab"]');
    if (tab) selectTab(/** @type {HTMLElement} */ (tab));
  });
  folderTabs.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (i < 0) return;
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const tab = tabs[(next + tabs.length) % tabs.length];
    tab.focus();
    selectTab(tab);
  });
  function selectTab(tab) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
    }
    onChange({ folder: tab.dataset.value || "" });
  }

  const chips = tags.map((t) => h("button", { type: "button", class: "chip", "aria-pressed": String(t === state.tag),
    dataset: { value: t } }, `# ${t}`));
  tagRow.replaceChildren(...chips);
  tagRow.hidden = tags.length === 0;
  tagRow.addEventListener("click", (e) => {
    const chip = /** @type {HTMLElement} */ (e.target).closest(".chip");
    if (!chip) return;
    const on = chip.getAttribute("aria-pressed") !== "true";
    for (const c of chips) c.setAttribute("aria-pressed", String(on && c === chip));
    onChange({ tag: on ? chip.dataset.value : "" });
  });

  kind.value = state.kind;
  sort.value = state.sort || "-taken_at";
  kind.addEventListener("change", () => onChange({ kind: kind.value }));
  sort.addEventListener("change", () => onChange({ sort: sort.value === "-taken_at" ? "" : sort.value }));

  return {
    /** Shows a state that came from elsewhere (Back/Forward) without reporting it as a change. */
    sync(next) {
      for (const t of tabs) {
        const on = (t.dataset.value || "") === next.folder;
        t.setAttribute("aria-selected", String(on));
        t.tabIndex = on ? 0 : -1;
      }
      for (const c of chips) c.setAttribute("aria-pressed", String(c.dataset.value === next.tag));
      kind.value = next.kind;
      sort.value = next.sort || "-taken_at";
    },
    /** Sorting applies to browsing only: search and find-me results keep their ranking. */
    setSortable(on) {
      sort.disabled = !on;
      sort.title = on ? "" : "Results are ranked by relevance";
    },
  };
}
