// The studio's "Team: <name>" choices beside Public and Private: new images are born shared with
// that team (POST /api/v1/generations {visibility: "team", team_id}), never private-then-shared.
// One choice per team I am a member of now (team.js announces every change of my teams); like
// Private they need a plan that makes images the public cannot see, and the API decides the rest.

import { myTeams } from "./team.js";
import { $, el } from "./ui.js";

function renderTeamChoices() {
  const choice = $("visibility-choice");
  const chosen = choice.querySelector("input[data-team-id]:checked");
  const keep = chosen ? chosen.dataset.teamId : "";
  for (const old of choice.querySelectorAll(".team-segment")) old.remove();
  const privateInput = $("choose-private").querySelector("input");
  for (const team of myTeams().filter((mine) => !mine.lapsed)) {
    const input = el("input", {
      attrs: { type: "radio", name: "visibility", value: "team", "data-team-id": team.team_id },
    });
    input.disabled = privateInput.disabled;
    input.checked = team.team_id === keep && !input.disabled;
    choice.append(el("label", { className: "segment team-segment" }, input, el("span", { text: `Team: ${team.name}` })));
  }
  if (!choice.querySelector("input:checked")) $("choose-public").querySelector("input").checked = true;
}

// The visibility part of a new generation's request body.
export function visibilityBody() {
  const checked = document.querySelector("input[name=visibility]:checked");
  if (checked.value === "team") return { visibility: "team", team_id: checked.dataset.teamId };
  return { visibility: checked.value };
}

export function wireStudioTeams() {
  document.addEventListener("atelier:teams-changed", renderTeamChoices);
}
