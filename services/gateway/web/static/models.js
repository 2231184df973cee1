// Custom models (styles): the Account page's block (train one from 5–30 of my images, uploaded or
// picked from my creations (model_picks.js), optionally shared with a team of mine; watch its
// training on the same progress stream as a generation's, list, share or take back, delete) and the studio's Model
// picker (built-in, or a trained style of mine or my team's). The API answers only the models the
// signed-in user may use; its refusals (a file it cannot take, the plan) are shown as it words them.

import { api, ApiError } from "./api.js";
import { confirmingButton } from "./account.js";
import { chosenTeamId, pickedImageIds, resetPicks, teamName, wireModelPicks } from "./model_picks.js";
import { myTeams } from "./team.js";
import { $, clearError, el, showError } from "./ui.js";

const STATUS_WORDS = { training: "Training", ready: "Ready", failed: "Failed" };
const MIN_IMAGES = 5;
const MAX_IMAGES = 30;

let watched = null; // {modelId, stream} of the training being followed

function csrfToken() {
  const found = document.cookie.split("; ").find((part) => part.startsWith("atelier_csrf="));
  return found ? decodeURIComponent(found.slice("atelier_csrf=".length)) : "";
}

// api() sends JSON; a training's images go as multipart/form-data (the browser sets the boundary).
async function postImages(name, files, teamId) {
  const form = new FormData();
  form.append("name", name);
  if (teamId) form.append("team_id", teamId);
  for (const file of files) form.append("images", file, file.name);
  let response;
  try {
    response = await fetch("/api/v1/models", {
      method: "POST",
      body: form,
      headers: { Accept: "application/json, application/problem+json", "X-CSRF-Token": csrfToken(),
        "Idempotency-Key": crypto.randomUUID() },
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { detail: "Cannot reach Atelier. Check your connection and try again." });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function setTrainingProgress(step, total, label) {
  const percent = total > 0 ? Math.min(100, Math.round((100 * step) / total)) : 0;
  $("model-progress").setAttribute("aria-valuenow", String(percent));
  $("model-progress-fill").style.width = `${percent}%`;
  $("model-progress-status").textContent = label ?? (total > 0 ? `Training… step ${step} of ${total}` : "Queued…");
}

function stopWatching() {
  if (watched) watched.stream.close();
  watched = null;
}

// The training job streams its progress exactly as a generation does (its events_url).
function watchTraining(model) {
  stopWatching();
  $("model-training").hidden = false;
  $("model-training-name").textContent = model.name;
  setTrainingProgress(model.progress.step, model.progress.total);
  const stream = new EventSource(model.events_url);
  watched = { modelId: model.model_id, stream };
  const data = (event) => JSON.parse(event.data);
  stream.addEventListener("progress", (event) => {
    const progress = data(event);
    setTrainingProgress(progress.step, progress.total);
  });
  const done = async (event) => {
    const job = data(event);
    stopWatching();
    if (job.status === "succeeded") setTrainingProgress(1, 1, `${model.name} is ready. Pick it in the studio's Model menu.`);
    else setTrainingProgress(0, 0, `Training failed: ${job.error || "unknown error"}`);
    await loadModels();
  };
  stream.addEventListener("completed", done);
  stream.addEventListener("failed", done);
  stream.addEventListener("error", () => {
    if (stream.readyState === EventSource.CLOSED) {
      stopWatching();
      loadModels();
    }
  });
}

function modelRow(model) {
  const progress = model.status === "training" && model.progress.total > 0
    ? ` (${model.progress.step} / ${model.progress.total})` : "";
  const remove = confirmingButton("Delete", "Delete it?", async () => {
    try {
      await api(`/api/v1/models/${encodeURIComponent(model.model_id)}`, { method: "DELETE" });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        showError($("models-error"), error);
        return;
      }
    }
    if (watched && watched.modelId === model.model_id) {
      stopWatching();
      $("model-training").hidden = true;
    }
    await loadModels();
  });
  remove.setAttribute("aria-label", `Delete model ${model.name}`);
  const team = model.team_id ? teamName(model.team_id) || "a team" : "";
  const shared = team ? el("span", { className: "model-shared", text: model.mine ? `Shared with ${team}` : `${team}'s` }) : "";
  return el("tr", { attrs: { "data-model-id": model.model_id } },
    el("th", { text: model.name, attrs: { scope: "row" } }, shared),
    el("td", { className: `model-status is-${model.status}`, text: STATUS_WORDS[model.status] + progress,
      attrs: { "data-label": "Status", title: model.error || "" } }),
    el("td", { text: String(model.image_count), attrs: { "data-label": "Images" } }),
    el("td", { attrs: { "data-label": "Shared with" } }, model.mine ? sharingChoice(model) : team),
    el("td", { className: "row-action" }, model.mine ? remove : ""));
}

// My model's team, changed in place: PATCH shares it with a team of mine now, or takes it back.
function sharingChoice(model) {
  const teams = myTeams().filter((team) => !team.lapsed || team.team_id === model.team_id);
  // Its current team is always a choice, even before my teams have loaded: never shown as "Only me" by mistake.
  if (model.team_id && !teams.some((team) => team.team_id === model.team_id)) {
    teams.push({ team_id: model.team_id, name: teamName(model.team_id) || "a team" });
  }
  const select = el("select", { className: "model-sharing", attrs: { "aria-label": `Share ${model.name} with` } },
    el("option", { text: "Only me", attrs: { value: "" } }),
    ...teams.map((team) => el("option", { text: team.name, attrs: { value: team.team_id } })));
  select.value = model.team_id || "";
  select.addEventListener("change", async () => {
    clearError($("models-error"));
    select.disabled = true;
    try {
      await api(`/api/v1/models/${encodeURIComponent(model.model_id)}`, {
        method: "PATCH",
        body: { team_id: select.value || null },
      });
    } catch (error) {
      showError($("models-error"), error);
    }
    await loadModels();
  });
  return select;
}

export async function loadModels() {
  clearError($("models-error"));
  try {
    const page = await api("/api/v1/models");
    $("models-body").replaceChildren(...page.items.map(modelRow));
    $("models-empty").hidden = page.items.length > 0;
    fillPicker(page.items);
  } catch (error) {
    $("models-body").replaceChildren();
    showError($("models-error"), error);
  }
}

async function trainModel(event) {
  event.preventDefault();
  clearError($("models-error"));
  const name = $("model-name").value.trim();
  const files = [...$("model-images").files];
  const picked = pickedImageIds();
  const teamId = chosenTeamId();
  if (!name) {
    showError($("models-error"), "Name your style.");
    return;
  }
  if (files.length > 0 && picked.length > 0) {
    showError($("models-error"), "Upload images or pick creations, not both.");
    return;
  }
  const count = files.length || picked.length;
  if (count < MIN_IMAGES || count > MAX_IMAGES) {
    showError($("models-error"), `Choose ${MIN_IMAGES} to ${MAX_IMAGES} images (you chose ${count}).`);
    return;
  }
  const button = $("model-train");
  button.disabled = true;
  try {
    const model = picked.length > 0
      ? await api("/api/v1/models", {
        method: "POST",
        body: { name, image_ids: picked, ...(teamId ? { team_id: teamId } : {}) },
        headers: { "Idempotency-Key": crypto.randomUUID() },
      })
      : await postImages(name, files, teamId);
    $("model-form").reset();
    resetPicks();
    await loadModels();
    watchTraining(model);
  } catch (error) {
    showError($("models-error"), error);
  } finally {
    button.disabled = false;
  }
}

// ---------- the studio's Model picker

function fillPicker(models) {
  const picker = $("model-choice");
  const chosen = picker.value;
  const ready = models.filter((model) => model.status === "ready");
  const label = (model) => (model.mine ? model.name : `${model.name} (${teamName(model.team_id) || "team"})`);
  picker.replaceChildren(el("option", { text: "Built-in", attrs: { value: "" } }),
    ...ready.map((model) => el("option", { text: label(model), attrs: { value: model.model_id } })));
  picker.value = ready.some((model) => model.model_id === chosen) ? chosen : "";
  $("model-choice-note").hidden = ready.length > 0;
}

export async function refreshModelPicker() {
  try {
    fillPicker((await api("/api/v1/models")).items);
  } catch {
    fillPicker([]); // the built-in model still works
  }
}

export function customModelBody() {
  const modelId = $("model-choice").value;
  return modelId ? { model_id: modelId } : {};
}

export async function loadModelsBlock() {
  await loadModels();
}

export function wireModels() {
  $("model-form").addEventListener("submit", trainModel);
  wireModelPicks();
  // A team's name (and whether a model is still shared with me) follows my teams.
  document.addEventListener("atelier:teams-changed", () => {
    if ($("account-view").hidden) refreshModelPicker();
    else loadModels();
  });
}
