// The custom-models form's "Pick from my creations" (a grid of my own images, owner view, a page at
// a time, with checkboxes; 5–30 picked are sent as image_ids) and its "Share with" choice (only me,
// or a team I am a current member of now: team.js announces each change of my teams).

import { api } from "./api.js";
import { myTeams } from "./team.js";
import { $, clearError, el, showError } from "./ui.js";

const PAGE_SIZE = 24;

const picks = { selected: new Set(), cursor: null, loaded: false };

function renderCount() {
  const count = picks.selected.size;
  $("model-picks-count").textContent = count === 0 ? "None picked." : `${count} picked.`;
}

function pickCard(item) {
  const checkbox = el("input", { attrs: { type: "checkbox", "aria-label": `Pick “${item.prompt}”` } });
  checkbox.checked = picks.selected.has(item.image_id);
  const li = el("li", { className: "model-pick", attrs: { "data-image-id": item.image_id } });
  checkbox.addEventListener("change", () => {
    if (checkbox.checked) picks.selected.add(item.image_id);
    else picks.selected.delete(item.image_id);
    li.classList.toggle("selected", checkbox.checked);
    renderCount();
  });
  const img = el("img", { attrs: { src: `${item.url}?size=thumb`, alt: "", loading: "lazy" } });
  li.append(el("label", {}, checkbox, img));
  return li;
}

async function loadPage(reset) {
  clearError($("models-error"));
  const params = new URLSearchParams({ visibility: "all", limit: String(PAGE_SIZE) });
  if (!reset && picks.cursor) params.set("cursor", picks.cursor);
  try {
    const page = await api(`/api/v1/me/creations?${params}`);
    const cards = page.items.map(pickCard);
    if (reset) $("model-picks-grid").replaceChildren(...cards);
    else $("model-picks-grid").append(...cards);
    picks.cursor = page.next_cursor;
    picks.loaded = true;
    $("model-picks-more").hidden = !page.next_cursor;
    $("model-picks-empty").hidden = $("model-picks-grid").children.length > 0;
  } catch (error) {
    showError($("models-error"), error);
  }
}

async function togglePicks() {
  const panel = $("model-picks");
  panel.hidden = !panel.hidden;
  $("model-pick-toggle").setAttribute("aria-expanded", String(!panel.hidden));
  if (!panel.hidden && !picks.loaded) await loadPage(true);
}

// The ids picked, in the order they were picked.
export function pickedImageIds() {
  return [...picks.selected];
}

export function resetPicks() {
  picks.selected.clear();
  picks.loaded = false;
  picks.cursor = null;
  $("model-picks-grid").replaceChildren();
  $("model-picks").hidden = true;
  $("model-pick-toggle").setAttribute("aria-expanded", "false");
  renderCount();
}

function renderTeamChoice() {
  const select = $("model-team");
  const chosen = select.value;
  const teams = myTeams().filter((team) => !team.lapsed);
  select.replaceChildren(el("option", { text: "Only me", attrs: { value: "" } }),
    ...teams.map((team) => el("option", { text: team.name, attrs: { value: team.team_id } })));
  select.value = teams.some((team) => team.team_id === chosen) ? chosen : "";
  $("model-team-field").hidden = teams.length === 0;
}

// The team the new model is shared with ("" for mine only).
export function chosenTeamId() {
  return $("model-team").value;
}

export function teamName(teamId) {
  const team = myTeams().find((mine) => mine.team_id === teamId);
  return team ? team.name : "";
}

export function wireModelPicks() {
  $("model-pick-toggle").addEventListener("click", togglePicks);
  $("model-picks-more").addEventListener("click", () => loadPage(false));
  document.addEventListener("atelier:teams-changed", renderTeamChoice);
  renderTeamChoice();
  renderCount();
}
