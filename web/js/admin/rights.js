/**
 * What the dashboard shows each role: one table from a UI element to the actions of
 * access/rights.py that it needs (any one of them). `GET /api/me?event=` lists the caller's
 * allowed actions; everything else is hidden. The server checks each action again: hiding only
 * spares people buttons that would be refused.
 */

/** @type {Record<string, string[]>} CSS selector → actions (the names in access/rights.py) */
export const RIGHTS = {
  "#tab-pipeline": ["event.inspect"],
  "#run-full": ["pipeline.run"],
  "#run-phase": ["pipeline.run"],
  "#phase-select": ["pipeline.run"],
  "#retry-errors": ["pipeline.run"],
  ".error-delete": ["photo.delete"], // each failed file's Delete (pipeline.js)
  "#tab-upload": ["photo.upload"],
  "#tab-review": ["photo.moderate"],
  "#tab-settings": ["event.settings"],
  "#tab-activity": ["audit.read"],
  "#tab-members": ["members.view", "members.manage"],
  "#tab-findme": ["findme.analytics"],
  "#members-manage": ["members.manage"],
  ".member-manage": ["members.manage"], // each member's role select and Remove (members.js)
  "#tab-people": ["face_clusters.manage"],
  "#tab-jobs": ["event.inspect"],
  ".job-steer": ["pipeline.run"], // each job's Cancel, Retry and priority (jobs.js)
  "#tab-library": ["event.inspect"],
  ".library-lock": ["media.lock"], // each video's Lock and Unlock (library.js)
  "#tab-albums": ["album.moderate", "album.manage"],
  "#albums-moderate": ["album.moderate"],
  "#albums-bans-section": ["album.moderate"],
};

let allowed = new Set();

/** Whether the caller's role may use the element `selector` names (a key of RIGHTS). */
export function shows(selector) {
  return (RIGHTS[selector] || []).some((action) => allowed.has(action));
}

/** Takes the caller's allowed actions and hides every element of the table they do not cover. */
export function applyRights(actions, root = document) {
  allowed = new Set(actions);
  for (const selector of Object.keys(RIGHTS)) {
    for (const el of root.querySelectorAll(selector)) /** @type {HTMLElement} */ (el).hidden = !shows(selector);
  }
}
