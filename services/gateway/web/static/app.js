// The Atelier page: log in or sign up, type a prompt, watch the previews develop, keep the images;
// Creations (my images, public and private), the plan page, the account page (account.js), shared
// images (/i/<id>), and — for anonymous visitors too — the public feed (#/feed) and profiles (/u/<name>).
// User text is only ever set through textContent / attributes, never parsed as HTML.

import { copyToClipboard, loadAccountPage, wireAccount } from "./account.js";
import { loadWebhooksBlock, wireWebhooks } from "./account_webhooks.js";
import { customModelBody, loadModelsBlock, refreshModelPicker, wireModels } from "./models.js";
import { loadTeamsBlock, refreshMyTeams, wireTeams } from "./team.js";
import { api, ApiError } from "./api.js";
import { loadCreations, wireCreations } from "./creations.js";
import { openImage, wireDetail } from "./detail.js";
import { loadFeed, wireFeed } from "./feed.js";
import { loadBilling, wireBilling } from "./billing.js";
import { credits } from "./money.js";
import { renderGenerateLimit } from "./generate_limit.js";
import { showModelNotice } from "./model_notice.js";
import { loadPlanPage } from "./plan.js";
import { loadPricing } from "./pricing.js";
import { loadProfile, profileName, wireProfile } from "./profile.js";
import { loadStandIn, standinSessionId } from "./standin.js";
import { styleReferenceBody, wireStyleReference } from "./style_reference.js";
import { visibilityBody, wireStudioTeams } from "./studio_team.js";
import { wireEditor } from "./editor.js";
import { afterAccepted, forgetOptions, loadOptionsFor, optionsBody, seedToKeep, wireOptions } from "./studio_options.js";
import { $, allowOrExplain, clearError, el, ratioOf, showError, visibilityBadge } from "./ui.js";

const HISTORY_PAGE_SIZE = 12;
const POLL_INTERVAL_MS = 1500;
const VIEWS = ["auth", "studio", "creations", "plan", "account", "shared", "feed", "profile", "pricing", "billing",
  "standin"];
// Pages at paths of their own (besides /i/<id> and /u/<name>): buying plans.
const BILLING_PATHS = ["/pricing", "/billing"];

const state = {
  authMode: "login",
  historyCursor: null,
  stream: null,
  followedId: null,
  me: null,
  shown: null, // the generation on screen in the studio
  unfinished: new Set(), // ids of my generations queued or running (the plan limits how many)
  submitting: false,
  runningPoll: null,
};

// ---------- views and routes

function show(view) {
  $("loading").hidden = true;
  for (const name of VIEWS) {
    const section = $(name === "studio" ? "studio" : `${name}-view`);
    section.hidden = view !== name;
  }
  const signedIn = state.me !== null;
  $("account").hidden = !signedIn;
  $("main-nav").hidden = !signedIn && view === "auth";
  for (const id of ["nav-create", "nav-creations", "nav-plan", "nav-account"]) $(id).hidden = !signedIn;
  $("guest-login").hidden = signedIn || view === "auth";
  for (const [id, name] of [["nav-feed", "feed"], ["nav-create", "studio"], ["nav-creations", "creations"],
    ["nav-plan", "plan"], ["nav-account", "account"], ["nav-pricing", "pricing"]]) {
    if (view === name) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
}

function sharedImageId() {
  const match = window.location.pathname.match(/^\/i\/([^/]+)$/);
  return match ? decodeURIComponent(match[1]) : null;
}

function onPathPage() {
  return sharedImageId() !== null || profileName() !== null || BILLING_PATHS.includes(window.location.pathname)
    || standinSessionId() !== null;
}

function isPublicView() {
  return onPathPage() && window.location.pathname !== "/billing" && standinSessionId() === null
    || window.location.hash === "#/feed";
}

async function route() {
  state.path = window.location.pathname;
  const shared = sharedImageId();
  if (shared !== null) {
    show("shared");
    await showSharedImage(shared);
    return;
  }
  // The plan may have changed since the last view (a lapse, an upgrade): every view starts from now.
  if (state.me !== null && (await refreshMe()) === null && !isPublicView()) return;
  if (window.location.pathname === "/pricing") {
    show("pricing");
    await loadPricing(state.me);
    return;
  }
  const username = profileName();
  if (username !== null) {
    show("profile");
    await loadProfile(username, true);
    return;
  }
  const hash = window.location.hash;
  if (hash === "#/feed") {
    document.title = "Feed — Atelier";
    show("feed");
    await loadFeed(true);
    return;
  }
  if (state.me === null) {
    show("auth");
    return;
  }
  const standin = standinSessionId();
  if (standin !== null) {
    show("standin");
    await loadStandIn(standin);
    return;
  }
  if (window.location.pathname === "/billing") {
    show("billing");
    await loadBilling();
    return;
  }
  if (hash === "#/creations") {
    show("creations");
    await loadCreations(true);
  } else if (hash === "#/plan") {
    show("plan");
    await loadPlanPage(state.me);
  } else if (hash === "#/account") {
    show("account");
    await Promise.all([loadAccountPage(state.me), loadWebhooksBlock(), loadTeamsBlock(state.me), loadModelsBlock()]);
  } else {
    show("studio");
    refreshModelPicker();
  }
}

function signedOut() {
  state.me = null;
  forgetOptions();
  if (!isPublicView()) show("auth");
}

// ---------- account

function setAuthMode(mode) {
  state.authMode = mode;
  const signup = mode === "signup";
  $("tab-login").setAttribute("aria-selected", String(!signup));
  $("tab-signup").setAttribute("aria-selected", String(signup));
  $("auth-form").setAttribute("aria-labelledby", signup ? "tab-signup" : "tab-login");
  $("auth-submit").textContent = signup ? "Create account" : "Log in";
  $("password").autocomplete = signup ? "new-password" : "current-password";
  $("username-hint").hidden = !signup;
  $("password-hint").hidden = !signup;
  clearError($("auth-error"));
}

async function submitAuth(event) {
  event.preventDefault();
  const button = $("auth-submit");
  const body = { username: $("username").value.trim(), password: $("password").value };
  clearError($("auth-error"));
  button.disabled = true;
  try {
    const path = state.authMode === "signup" ? "/api/v1/auth/signup" : "/api/v1/auth/login";
    const result = await api(path, { method: "POST", body });
    $("password").value = "";
    await enterStudio(result.api_key);
  } catch (error) {
    showError($("auth-error"), error);
  } finally {
    button.disabled = false;
  }
}

function leaveAccount() {
  stopFollowing();
  state.me = null;
  forgetOptions();
  state.unfinished.clear();
  $("history").replaceChildren();
  $("current").hidden = true;
  setAuthMode("login");
  window.history.replaceState(null, "", "/");
  show("auth");
}

async function logOut() {
  try {
    await api("/api/v1/auth/logout", { method: "POST" });
  } finally {
    leaveAccount();
  }
}

function renderVisibilityChoice(me) {
  const permission = me.permissions.private_generation;
  const privateInput = $("choose-private").querySelector("input");
  const allowed = allowOrExplain(privateInput, permission, $("visibility-note"), $("choose-private"));
  const current = document.querySelector("input[name=visibility]:checked");
  if (!allowed) {
    $("choose-public").querySelector("input").checked = true;
  } else if (!state.visibilityTouched) {
    const remembered = me.last_visibility || "public";
    document.querySelector(`input[name=visibility][value=${remembered}]`).checked = true;
  } else if (!current) {
    $("choose-public").querySelector("input").checked = true;
  }
}

function renderAccount(me) {
  $("account-name").textContent = me.username;
  $("account-name").href = `/u/${encodeURIComponent(me.username)}`;
  $("account-plan").textContent = me.plan_display_name;
  $("account-credits").textContent = credits(me.credits);
  renderVisibilityChoice(me);
  loadOptionsFor(me.user_id);
  updateGenerateButton();
}

async function refreshMe() {
  try {
    state.me = await api("/api/v1/me");
    renderAccount(state.me);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signedOut();
  }
  return state.me;
}

async function enterStudio(newApiKey) {
  state.me = await api("/api/v1/me");
  renderAccount(state.me);
  refreshMyTeams(); // the image panel offers "Team" once it knows my teams
  if (newApiKey) {
    $("api-key-value").textContent = newApiKey;
    $("api-key-notice").hidden = false;
  }
  if (!onPathPage() && !window.location.hash) window.history.replaceState(null, "", "#/create");
  await route();
  if (!$("studio").hidden) $("prompt").focus();
  await loadHistory(true);
}

// ---------- the generation being watched

function layTiles(count, aspect) {
  const tiles = $("tiles");
  tiles.style.setProperty("--ratio", ratioOf(aspect));
  tiles.replaceChildren();
  for (let i = 0; i < count; i += 1) {
    const tile = document.createElement("li");
    tile.className = "tile pending";
    tile.setAttribute("aria-label", `Image ${i + 1}: waiting`);
    tiles.append(tile);
  }
}

function setProgress(step, total, label) {
  const percent = total > 0 ? Math.min(100, Math.round((100 * step) / total)) : 0;
  $("progress").setAttribute("aria-valuenow", String(percent));
  $("progress-fill").style.width = `${percent}%`;
  $("current-status").textContent = label ?? (total > 0 ? `Generating… step ${step} of ${total}` : "Queued…");
}

function showPreviews(previews) {
  const tiles = $("tiles").children;
  previews.forEach((src, i) => {
    const tile = tiles[i];
    if (!tile || tile.classList.contains("final")) return;
    let img = tile.querySelector("img");
    if (!img) {
      img = document.createElement("img");
      img.alt = "";
      tile.append(img);
    }
    img.className = "preview";
    img.src = src;
    tile.classList.remove("pending");
    tile.setAttribute("aria-label", `Image ${i + 1}: preview`);
  });
}

function imageChanged(image) {
  // The detail panel changed an image (visibility) or deleted its generation.
  if (image.deleted) {
    if (state.shown && state.shown.generation_id === image.generation_id) {
      state.shown = null;
      $("current").hidden = true;
    }
  } else if (state.shown) {
    for (const shownImage of state.shown.images) {
      if (shownImage.image_id === image.image_id) shownImage.visibility = image.visibility;
    }
    showFinalImages(state.shown);
  }
  loadHistory(true);
  if (!$("creations-view").hidden) loadCreations(true);
}

function openDetail(imageId) {
  openImage(imageId, { me: state.me, onChange: imageChanged }).catch((error) => {
    showError($("generate-error"), error);
  });
}

function showFinalImages(generation) {
  layTiles(generation.images.length, generation.params.aspect_ratio);
  const tiles = $("tiles").children;
  generation.images.forEach((image, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "tile-open";
    button.setAttribute("aria-label", `Open image ${i + 1} (${image.visibility})`);
    button.addEventListener("click", () => openDetail(image.image_id));
    const img = document.createElement("img");
    img.className = "final";
    img.src = image.url;
    img.alt = `Image ${i + 1} of ${generation.images.length} for “${generation.prompt}”`;
    img.width = image.width;
    img.height = image.height;
    button.append(img);
    tiles[i].className = "tile final";
    tiles[i].removeAttribute("aria-label");
    tiles[i].append(button, visibilityBadge(image.visibility));
  });
}

function renderGeneration(generation) {
  state.shown = generation;
  $("current").hidden = false;
  $("current-prompt").textContent = generation.prompt;
  showMagicPrompt(generation.magic_prompt);
  showModelNotice(generation);
  if (generation.status === "succeeded") {
    const count = generation.images.length;
    setProgress(1, 1, `Done · ${count} image${count === 1 ? "" : "s"}`);
    showFinalImages(generation);
  } else if (generation.status === "failed") {
    setProgress(0, 0, "Failed");
    $("current").classList.add("failed");
    showError($("generate-error"), generation.error || "The generation failed.");
  } else {
    setProgress(generation.progress.step, generation.progress.total);
  }
}

function showMagicPrompt(magicPrompt) {
  $("current-magic").hidden = !magicPrompt;
  $("current-magic").textContent = magicPrompt ? `Magic prompt: ${magicPrompt}` : "";
}

function stopFollowing() {
  if (state.stream) state.stream.close();
  state.stream = null;
  state.followedId = null;
}

function finish(generation) {
  stopFollowing();
  renderGeneration(generation);
  state.unfinished.delete(generation.generation_id);
  updateGenerateButton();
  loadHistory(true);
  refreshMe();
}

async function pollUntilDone(id) {
  while (state.followedId === id) {
    try {
      const generation = await api(`/api/v1/generations/${id}`);
      if (state.followedId !== id) return;
      if (generation.status === "succeeded" || generation.status === "failed") {
        finish(generation);
        return;
      }
      renderGeneration(generation);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        stopFollowing();
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function follow(id, prompt, count, aspect) {
  stopFollowing();
  state.followedId = id;
  $("current").hidden = false;
  $("current").classList.remove("failed");
  $("current-prompt").textContent = prompt;
  showMagicPrompt("");
  layTiles(count, aspect);
  setProgress(0, 0);
  const stream = new EventSource(`/api/v1/generations/${id}/events`);
  state.stream = stream;
  const data = (event) => JSON.parse(event.data);
  stream.addEventListener("state", (event) => renderGeneration(data(event)));
  stream.addEventListener("progress", (event) => {
    const progress = data(event);
    setProgress(progress.step, progress.total);
    showPreviews(progress.previews);
  });
  stream.addEventListener("completed", (event) => finish(data(event)));
  stream.addEventListener("failed", (event) => finish(data(event)));
  stream.addEventListener("error", () => {
    // A closed stream (e.g. refused) is not retried by the browser: fall back to polling.
    if (stream.readyState === EventSource.CLOSED && state.followedId === id) {
      state.stream = null;
      pollUntilDone(id);
    }
  });
}

async function acceptedSeed(generationId) {
  try {
    return (await api(`/api/v1/generations/${generationId}`)).params.seed;
  } catch {
    return undefined; // the lock then takes the seed of a later generation
  }
}

async function generate(event) {
  event.preventDefault();
  const prompt = $("prompt").value;
  const errorBox = $("generate-error");
  clearError(errorBox);
  if (!prompt.trim()) {
    showError(errorBox, "Type a prompt first.");
    $("prompt").focus();
    return;
  }
  let body;
  try {
    body = { prompt, ...optionsBody(), ...styleReferenceBody(), ...customModelBody(), ...visibilityBody() };
  } catch (invalid) {
    showError(errorBox, invalid.message);
    return;
  }
  state.submitting = true;
  updateGenerateButton();
  try {
    // One key per click: a retried request never starts a second generation.
    const accepted = await api("/api/v1/generations", {
      method: "POST",
      body,
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    state.unfinished.add(accepted.generation_id);
    state.submitting = false;
    updateGenerateButton();
    follow(accepted.generation_id, prompt, body.num_images, body.aspect_ratio);
    afterAccepted(seedToKeep() ? await acceptedSeed(accepted.generation_id) : body.seed);
    loadHistory(true);
    refreshMe();
  } catch (error) {
    state.submitting = false;
    updateGenerateButton();
    if (error instanceof ApiError && error.status === 401) {
      signedOut();
      return;
    }
    showError(errorBox, error);
  }
}

// ---------- generations at once

const RUNNING_POLL_MS = 2000;

function updateGenerateButton() {
  renderGenerateLimit($("generate"), $("generate-limit-note"), {
    running: state.unfinished.size, me: state.me, submitting: state.submitting,
  });
}

const isUnfinished = (generation) => generation.status === "queued" || generation.status === "running";

// The newest page says what still runs, whoever started it (another tab, the API); sets running
// beside the one followed live are polled, and the history is redrawn when one of them ends.
function countUnfinished(items) {
  const before = state.unfinished;
  state.unfinished = new Set(items.filter(isUnfinished).map((generation) => generation.generation_id));
  updateGenerateButton();
  if (state.unfinished.size > 0 && state.runningPoll === null && state.me !== null) {
    state.runningPoll = setTimeout(pollUnfinished, RUNNING_POLL_MS);
  }
  return [...before].some((id) => !state.unfinished.has(id));
}

async function pollUnfinished() {
  state.runningPoll = null;
  if (state.me === null) return;
  try {
    const page = await api(`/api/v1/generations?limit=${HISTORY_PAGE_SIZE}`);
    if (countUnfinished(page.items)) {
      loadHistory(true);
      refreshMe();
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signedOut();
  }
}

// ---------- history

// A lock badge on a set whose images are private (all of them, or how many when some are).
function setPrivacyBadge(generation) {
  const images = generation.images;
  const privateCount = images.filter((image) => image.visibility === "private").length;
  if (images.length === 0 ? generation.visibility === "private" : privateCount === images.length) {
    return visibilityBadge("private");
  }
  if (privateCount === 0) return null;
  const badge = visibilityBadge("private");
  badge.textContent = `${privateCount} private`;
  return badge;
}

function historyCard(generation) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = `history-card ${generation.status}`;
  const thumbs = document.createElement("div");
  thumbs.className = "thumbs";
  thumbs.style.setProperty("--ratio", ratioOf(generation.params.aspect_ratio));
  const images = generation.images.slice(0, 4);
  if (images.length === 0) {
    const placeholder = document.createElement("div");
    placeholder.className = "thumb-placeholder";
    placeholder.textContent = { failed: "Failed", queued: "Queued" }[generation.status] || "In progress";
    thumbs.append(placeholder);
  }
  for (const image of images) {
    const img = document.createElement("img");
    img.src = `${image.url}?size=thumb`;
    img.alt = "";
    img.loading = "lazy";
    thumbs.append(img);
  }
  const badge = setPrivacyBadge(generation);
  if (badge) thumbs.append(badge);
  const caption = document.createElement("span");
  caption.className = "history-prompt";
  caption.textContent = generation.prompt;
  button.setAttribute("aria-label", `Open “${generation.prompt}” (${generation.status})`);
  button.append(thumbs, caption);
  button.addEventListener("click", () => openGeneration(generation));
  item.append(button);
  return item;
}

async function loadHistory(reset) {
  const params = new URLSearchParams({ limit: String(HISTORY_PAGE_SIZE) });
  if (!reset && state.historyCursor) params.set("cursor", state.historyCursor);
  try {
    const page = await api(`/api/v1/generations?${params}`);
    // A description makes no image: it is read in the image's panel, not kept as a set.
    const cards = page.items.filter((item) => item.params.kind !== "describe").map(historyCard);
    state.historyItems = reset ? page.items : [...(state.historyItems || []), ...page.items];
    if (reset) $("history").replaceChildren(...cards);
    else $("history").append(...cards);
    if (reset) countUnfinished(page.items);
    state.historyCursor = page.next_cursor;
    $("history-more").hidden = !page.next_cursor;
    $("history-empty").hidden = $("history").children.length > 0;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signedOut();
  }
}

function openGeneration(generation) {
  clearError($("generate-error"));
  if (generation.status === "queued" || generation.status === "running") {
    follow(generation.generation_id, generation.prompt, generation.params.num_images, generation.params.aspect_ratio);
  } else {
    stopFollowing();
    $("current").classList.remove("failed");
    renderGeneration(generation);
  }
  $("current").scrollIntoView({ behavior: "smooth", block: "start" });
}

// ---------- shared images (/i/<id>)

async function showSharedImage(imageId) {
  $("shared-missing").hidden = true;
  const box = $("shared-image");
  box.replaceChildren();
  let image;
  try {
    image = await api(`/api/v1/images/${encodeURIComponent(imageId)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      $("shared-missing").hidden = false;
      return;
    }
    showError($("shared-missing"), error);
    return;
  }
  const img = el("img", { attrs: { src: image.url, alt: `Image for “${image.prompt}”` } });
  img.width = image.width;
  img.height = image.height;
  const open = el("button", { className: "shared-open", attrs: { type: "button", "aria-label": "Open details" } },
    img);
  open.addEventListener("click", () => openImage(image.image_id, { me: state.me, onChange: () => route() }));
  const by = image.owned_by_you ? "Your image" : `By ${image.owner_username || "someone"}`;
  box.append(el("figure", { className: "card shared-card" }, open,
    el("figcaption", {}, el("p", { className: "detail-prompt", text: image.prompt }),
      el("p", { className: "hint", text: by }), visibilityBadge(image.visibility))));
}

// ---------- from the image panel to the studio (use prompt, remix, retry)

function toStudio() {
  if (window.location.hash !== "#/create" || onPathPage()) {
    window.history.pushState(null, "", "/#/create");
  }
  state.path = window.location.pathname;
  show("studio");
}

function wireStudioEvents() {
  window.addEventListener("atelier:use-prompt", (event) => {
    if (state.me === null) return;
    const { prompt, aspect_ratio: aspect } = event.detail;
    toStudio();
    $("prompt").value = prompt;
    $("prompt-count").textContent = `${prompt.length} / 1000`;
    if (aspect && [...$("aspect-ratio").options].some((option) => option.value === aspect)) {
      $("aspect-ratio").value = aspect;
    }
    clearError($("generate-error"));
    $("prompt").focus();
  });
  window.addEventListener("atelier:follow", (event) => {
    const { generation_id: id, prompt, num_images: count, aspect_ratio: aspect } = event.detail;
    toStudio();
    state.unfinished.add(id);
    updateGenerateButton();
    follow(id, prompt, count, aspect);
    loadHistory(true);
    refreshMe();
    $("current").scrollIntoView({ behavior: "smooth", block: "start" });
  });
  window.addEventListener("atelier:me-changed", () => refreshMe());
}

// ---------- start

function wire() {
  $("tab-login").addEventListener("click", () => setAuthMode("login"));
  $("tab-signup").addEventListener("click", () => setAuthMode("signup"));
  $("auth-form").addEventListener("submit", submitAuth);
  $("logout").addEventListener("click", logOut);
  $("prompt-form").addEventListener("submit", generate);
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.metaKey || event.ctrlKey)) $("prompt-form").requestSubmit();
  });
  $("prompt").addEventListener("input", () => {
    $("prompt-count").textContent = `${$("prompt").value.length} / 1000`;
  });
  $("history-more").addEventListener("click", () => loadHistory(false));
  $("api-key-copy").addEventListener("click", () => {
    copyToClipboard($("api-key-copy"), $("api-key-value").textContent, $("api-key-value"));
  });
  $("api-key-dismiss").addEventListener("click", () => {
    $("api-key-notice").hidden = true;
    $("api-key-value").textContent = "";
  });
  // On the fieldset: the team choices come and go with my teams (studio_team.js).
  $("visibility-choice").addEventListener("change", () => { state.visibilityTouched = true; });
  wireStudioTeams();
  window.addEventListener("hashchange", () => {
    if (onPathPage()) window.history.replaceState(null, "", `/${window.location.hash}`);
    route();
  });
  // Back / forward between a path page (/u/<name>, /i/<id>) and the studio; hash-only moves are
  // handled by hashchange above.
  window.addEventListener("popstate", () => {
    if (window.location.pathname !== state.path) route();
  });
  wireDetail();
  wireCreations({ getMe: () => state.me, onUnauthorized: signedOut });
  wireFeed({ getMe: () => state.me });
  wireProfile({ getMe: () => state.me });
  wireAccount({ signedOut: leaveAccount });
  wireWebhooks();
  wireModels();
  wireTeams();
  wireStudioEvents();
  wireBilling();
  wireOptions();
  wireStyleReference();
  wireEditor();
}

async function start() {
  wire();
  setAuthMode("login");
  try {
    await enterStudio();
  } catch (error) {
    state.me = null;
    if (isPublicView()) {
      await route(); // shared images, the feed and profiles are for anonymous visitors too
    } else if (error instanceof ApiError && error.status === 401) {
      show("auth");
      $("username").focus();
    } else {
      show("auth");
      showError($("auth-error"), error);
    }
  }
}

start();
