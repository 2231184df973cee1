// The image detail panel: the picture, its prompt, a Public/Private control (owner), download,
// share and delete; likes, how it was made, remix, retry, pin, profile photo and report
// (detail_actions.js). Opened from the studio's tiles, Creations, the feed, profiles and share links.

import { api, ApiError } from "./api.js";
import { confirmAction, deleteUndoably, offerUndo, wireConfirm } from "./confirm.js";
import { renderMore, wireMore } from "./detail_actions.js";
import { myTeams } from "./team.js";
import { $, allowOrExplain, clearError, el, showError, upgradeLink } from "./ui.js";

const ANONYMOUS_PNG_NOTE = "Full-quality PNG downloads need a paid plan; you get a slightly compressed JPG.";

const panel = {
  image: null,
  me: null,
  set: [], // the image ids of the set the panel was opened on (a feed card), if any
  onChange: () => {},
};

function renderSet() {
  const strip = $("detail-set");
  strip.hidden = panel.set.length < 2;
  strip.replaceChildren(...(strip.hidden ? [] : panel.set.map((imageId, index) => {
    const button = el("button", {
      attrs: {
        type: "button",
        "aria-label": `Image ${index + 1} of ${panel.set.length}`,
        "aria-current": String(imageId === panel.image.image_id),
      },
    }, el("img", { attrs: { src: `/api/v1/images/${imageId}/content?size=thumb`, alt: "" } }));
    button.addEventListener("click", () => showInPanel(imageId));
    return button;
  })));
}

async function showInPanel(imageId) {
  clearError($("detail-error"));
  try {
    panel.image = await api(`/api/v1/images/${imageId}`);
  } catch (error) {
    showError($("detail-error"), error);
    return;
  }
  render();
}

function setVisibilityButtons(visibility) {
  $("detail-public").setAttribute("aria-pressed", String(visibility === "public"));
  $("detail-private").setAttribute("aria-pressed", String(visibility === "private"));
  $("detail-team").setAttribute("aria-pressed", String(visibility === "team"));
}

function renderVisibility() {
  const { image, me } = panel;
  const box = $("detail-visibility-box");
  box.hidden = !image.owned_by_you;
  if (!image.owned_by_you) return;
  setVisibilityButtons(image.visibility);
  // Any change (to private or back to public) needs private_generation on an active plan.
  const permission = me ? me.permissions.private_generation : { allowed: false };
  for (const id of ["detail-public", "detail-private", "detail-team"]) {
    allowOrExplain($(id), permission, null);
  }
  allowOrExplain($("detail-public"), permission, $("detail-visibility-note"));
  renderTeamChoice(image);
}

// "Team" is offered while I am in a team: the first one, named on the button.
function renderTeamChoice(image) {
  const [team] = myTeams();
  const button = $("detail-team");
  button.hidden = !team && image.visibility !== "team";
  button.textContent = team ? `Team: ${team.name}` : "Team";
}

function renderActions() {
  const { image, me } = panel;
  const png = image.download_formats.includes("png");
  const download = $("detail-download");
  download.href = `${image.url}?download=true`;
  download.textContent = png ? "Download PNG" : "Download JPG";
  const note = $("detail-download-note");
  note.hidden = png;
  note.textContent = png ? "" : (me ? me.permissions.download_png.reason : ANONYMOUS_PNG_NOTE);
  if (!png && me) note.append(" ", upgradeLink());

  const remove = $("detail-delete");
  remove.hidden = !image.owned_by_you;
  $("detail-delete-note").hidden = true;
  if (image.owned_by_you) {
    allowOrExplain(remove, me && me.permissions.delete_generation, $("detail-delete-note"));
  }
  $("detail-share-box").hidden = true;
}

function render() {
  const { image } = panel;
  const img = $("detail-img");
  img.src = image.url;
  img.alt = `Image for “${image.prompt}”`;
  img.width = image.width;
  img.height = image.height;
  $("detail-prompt").textContent = image.prompt;
  $("detail-status").textContent = "";
  clearError($("detail-error"));
  renderVisibility();
  renderActions();
  renderMore(panel);
  renderSet();
}

async function changeVisibility(visibility) {
  const { image } = panel;
  if (!image || image.visibility === visibility) return;
  clearError($("detail-error"));
  for (const id of ["detail-public", "detail-private", "detail-team"]) $(id).disabled = true;
  const [team] = myTeams();
  const body = visibility === "team" ? { visibility, team_id: team && team.team_id } : { visibility };
  try {
    const updated = await api(`/api/v1/images/${image.image_id}`, { method: "PATCH", body });
    panel.image = { ...image, ...updated };
    $("detail-status").textContent = {
      private: "Private now: only you can see this image.",
      team: `Shared with ${team ? team.name : "your team"}: only its current members can see this image.`,
    }[visibility] || "Public now: anyone can see this image.";
    panel.onChange(panel.image);
  } catch (error) {
    showError($("detail-error"), error);
  } finally {
    renderVisibility();
  }
}

async function share() {
  const { image } = panel;
  clearError($("detail-error"));
  try {
    const link = await api(`/api/v1/images/${image.image_id}/share`);
    $("detail-share-box").hidden = false;
    const input = $("detail-share-url");
    input.value = link.url;
    input.select();
    $("detail-share-note").textContent = link.works_for === "anyone"
      ? "Anyone with this link can see the image."
      : "This image is private: the link works for you only.";
    try {
      await navigator.clipboard.writeText(link.url);
      $("detail-status").textContent = "Link copied.";
    } catch {
      // No clipboard permission: the link is selected in the box instead.
    }
  } catch (error) {
    showError($("detail-error"), error);
  }
}

async function deleteGeneration() {
  const { image } = panel;
  const confirmed = await confirmAction({
    title: "Delete this generation?",
    message: "All its images go, for everyone, you included. You can undo it for a few seconds.",
    confirmLabel: "Delete generation",
  });
  if (!confirmed) return;
  clearError($("detail-error"));
  const onChange = panel.onChange;
  try {
    const pending = await deleteUndoably([image.generation_id]);
    $("detail").close();
    onChange({ ...image, deleted: true });
    offerUndo("Generation deleted.", pending, () => onChange({ ...image, deleted: false }));
  } catch (error) {
    showError($("detail-error"), error);
  }
}

export async function openImage(imageId, { me = null, onChange = () => {}, set = null } = {}) {
  panel.me = me;
  panel.onChange = onChange;
  panel.set = set || [];
  try {
    panel.image = await api(`/api/v1/images/${imageId}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return false;
    throw error;
  }
  render();
  const dialog = $("detail");
  if (!dialog.open) dialog.showModal();
  return true;
}

export function wireDetail() {
  wireConfirm();
  $("detail-close").addEventListener("click", () => $("detail").close());
  $("detail").addEventListener("click", (event) => {
    if (event.target === $("detail")) $("detail").close(); // a click on the backdrop
  });
  $("detail-public").addEventListener("click", () => changeVisibility("public"));
  $("detail-private").addEventListener("click", () => changeVisibility("private"));
  $("detail-team").addEventListener("click", () => changeVisibility("team"));
  $("detail-share").addEventListener("click", share);
  $("detail-delete").addEventListener("click", deleteGeneration);
  wireMore(panel);
  window.addEventListener("atelier:open-image", (event) => {
    openImage(event.detail.image_id, { me: panel.me, onChange: panel.onChange }).catch((error) => {
      showError($("detail-error"), error);
    });
  });
}
