// The Account page's Teams block (create a team, invite by username, members with their roles,
// accept or decline an invitation, leave or remove) and the teams the image panel offers as a
// visibility ("Team: <name>"). The API decides every rule (the Team plan to create, owners and admins
// to invite, a team keeps an owner); its refusals are shown as it words them.

import { api } from "./api.js";
import { confirmingButton } from "./account.js";
import { $, clearError, el, showError } from "./ui.js";

const ROLE_WORDS = { owner: "Owner", admin: "Admin", member: "Member" };
let teams = []; // my teams, as GET /api/v1/teams last answered
let myUserId = "";

// The teams I am a member of now (the image panel's "Team" choice needs at least one).
export function myTeams() {
  return teams;
}

// The studio offers my teams as a visibility of new images (studio_team.js): told of each change.
function announce() {
  document.dispatchEvent(new CustomEvent("atelier:teams-changed"));
}

export async function refreshMyTeams() {
  try {
    teams = (await api("/api/v1/teams")).items;
  } catch {
    teams = [];
  }
  announce();
  return teams;
}

async function act(action) {
  clearError($("teams-error"));
  try {
    await action();
  } catch (error) {
    showError($("teams-error"), error);
  }
  await loadTeamsBlock();
}

function memberRow(team, member) {
  const cells = [
    el("th", { text: member.username || "(deleted account)", attrs: { scope: "row" } }),
    el("td", { text: ROLE_WORDS[member.role] || member.role, attrs: { "data-label": "Role" } }),
  ];
  const path = `/api/v1/teams/${encodeURIComponent(team.team_id)}/members/${encodeURIComponent(member.user_id)}`;
  const mine = member.user_id === myUserId;
  const action = el("td", { className: "row-action" });
  if (mine) {
    const leave = confirmingButton("Leave", "Leave this team?", () => act(() => api(path, { method: "DELETE" })));
    leave.setAttribute("aria-label", `Leave ${team.name}`);
    action.append(leave);
  } else if (team.your_role === "owner" || (team.your_role === "admin" && member.role === "member")) {
    const remove = confirmingButton("Remove", "Remove from the team?", () => act(() => api(path, { method: "DELETE" })));
    remove.setAttribute("aria-label", `Remove ${member.username} from ${team.name}`);
    action.append(remove);
  }
  cells.push(action);
  return el("tr", { attrs: { "data-member": member.username || member.user_id } }, ...cells);
}

function inviteForm(team) {
  const input = el("input", {
    attrs: { id: `team-invite-${team.team_id}`, maxlength: "64", autocomplete: "off", placeholder: "username" },
  });
  const label = el("label", { text: `Invite to ${team.name}`, attrs: { for: input.id } });
  const button = el("button", { className: "button ghost small", text: "Invite", attrs: { type: "submit" } });
  const form = el("form", { className: "key-form", attrs: { novalidate: "" } },
    el("div", { className: "field" }, label, input), button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const username = input.value.trim();
    if (!username) return;
    act(async () => {
      await api(`/api/v1/teams/${encodeURIComponent(team.team_id)}/invitations`, {
        method: "POST", body: { username },
      });
      $("teams-status").textContent = `Invited ${username} to ${team.name}.`;
    });
  });
  return form;
}

function teamCard(team) {
  const table = el("table", { className: "account-table" },
    el("thead", {}, el("tr", {},
      el("th", { text: "Member", attrs: { scope: "col" } }),
      el("th", { text: "Role", attrs: { scope: "col" } }),
      el("th", { attrs: { scope: "col" } }, el("span", { className: "visually-hidden", text: "Actions" })))),
    el("tbody", {}, ...team.members.map((member) => memberRow(team, member))));
  const parts = [el("h3", { text: team.name }), el("div", { className: "table-wrap" }, table)];
  if (team.lapsed) {
    parts.splice(1, 0, el("p", {
      className: "hint team-lapsed",
      text: "This team's plan has ended: its images are private to their makers until an owner subscribes again.",
    }));
  }
  if (team.your_role === "owner" || team.your_role === "admin") parts.push(inviteForm(team));
  if (team.your_role === "owner") {
    const path = `/api/v1/teams/${encodeURIComponent(team.team_id)}`;
    const remove = confirmingButton("Delete team", "Delete? Its images become private to their makers.",
      () => act(() => api(path, { method: "DELETE" })));
    remove.setAttribute("aria-label", `Delete ${team.name}`);
    parts.push(remove);
  }
  return el("div", { className: "team", attrs: { "data-team-id": team.team_id } }, ...parts);
}

function invitationRow(invitation) {
  const base = `/api/v1/teams/${encodeURIComponent(invitation.team_id)}`;
  const accept = el("button", { className: "button primary small", text: "Accept", attrs: { type: "button" } });
  accept.addEventListener("click", () => act(() => api(`${base}/accept`, { method: "POST" })));
  const decline = el("button", { className: "button ghost small", text: "Decline", attrs: { type: "button" } });
  decline.addEventListener("click", () => act(() => api(`${base}/decline`, { method: "POST" })));
  const who = invitation.invited_by ? ` (from ${invitation.invited_by})` : "";
  return el("li", { attrs: { "data-invitation": invitation.team_id } },
    el("span", { text: `Invitation to ${invitation.team_name}${who} ` }), accept, " ", decline);
}

export async function loadTeamsBlock(me) {
  if (me) myUserId = me.user_id;
  try {
    const answer = await api("/api/v1/teams");
    teams = answer.items;
    announce();
    $("team-invitations").replaceChildren(...answer.invitations.map(invitationRow));
    $("teams-list").replaceChildren(...teams.map(teamCard));
    $("teams-empty").hidden = teams.length > 0 || answer.invitations.length > 0;
  } catch (error) {
    showError($("teams-error"), error);
  }
}

async function createTeam(event) {
  event.preventDefault();
  const name = $("team-name").value.trim();
  if (!name) {
    showError($("teams-error"), "Give the team a name.");
    return;
  }
  await act(async () => {
    await api("/api/v1/teams", { method: "POST", body: { name } });
    $("team-name").value = "";
  });
}

export function wireTeams() {
  $("team-form").addEventListener("submit", createTeam);
}
