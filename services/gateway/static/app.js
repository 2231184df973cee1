// The Atelier page: log in or sign up, type a prompt, watch the previews develop, keep the images.
// User text is only ever set through textContent / attributes, never parsed as HTML.

import { api, ApiError } from "./api.js";

const $ = (id) => document.getElementById(id);
const HISTORY_PAGE_SIZE = 12;
const POLL_INTERVAL_MS = 1500;

const state = {
  authMode: "login",
  historyCursor: null,
  stream: null,
  followedId: null,
};

// ---------- views

function show(view) {
  $("loading").hidden = true;
  $("auth-view").hidden = view !== "auth";
  $("studio").hidden = view !== "studio";
  $("account").hidden = view !== "studio";
}

function showError(element, error) {
  element.textContent = error instanceof ApiError ? error.message : String(error);
  element.hidden = false;
}

function clearError(element) {
  element.hidden = true;
  element.textContent = "";
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

async function logOut() {
  stopFollowing();
  try {
    await api("/api/v1/auth/logout", { method: "POST" });
  } finally {
    $("history").replaceChildren();
    $("current").hidden = true;
    setAuthMode("login");
    show("auth");
  }
}

function renderAccount(me) {
  $("account-name").textContent = me.username;
  $("account-plan").textContent = me.plan;
  $("account-credits").textContent = `${me.credits} credits`;
}

async function enterStudio(newApiKey) {
  const me = await api("/api/v1/me");
  renderAccount(me);
  if (newApiKey) {
    $("api-key-value").textContent = newApiKey;
    $("api-key-notice").hidden = false;
  }
  show("studio");
  $("prompt").focus();
  await loadHistory(true);
}

// ---------- the generation being watched

function ratioOf(aspect) {
  const [w, h] = String(aspect || "1:1").split(":").map(Number);
  return w > 0 && h > 0 ? `${w} / ${h}` : "1 / 1";
}

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

function showFinalImages(generation) {
  layTiles(generation.images.length, generation.params.aspect_ratio);
  const tiles = $("tiles").children;
  generation.images.forEach((image, i) => {
    const link = document.createElement("a");
    link.href = image.url;
    link.target = "_blank";
    link.rel = "noopener";
    const img = document.createElement("img");
    img.className = "final";
    img.src = image.url;
    img.alt = `Image ${i + 1} of ${generation.images.length} for “${generation.prompt}”`;
    img.width = image.width;
    img.height = image.height;
    link.append(img);
    tiles[i].className = "tile final";
    tiles[i].removeAttribute("aria-label");
    tiles[i].append(link);
  });
}

function renderGeneration(generation) {
  $("current").hidden = false;
  $("current-prompt").textContent = generation.prompt;
  if (generation.status === "succeeded") {
    setProgress(1, 1, `Done · ${generation.images.length} images`);
    showFinalImages(generation);
  } else if (generation.status === "failed") {
    setProgress(0, 0, "Failed");
    $("current").classList.add("failed");
    showError($("generate-error"), generation.error || "The generation failed.");
  } else {
    setProgress(generation.progress.step, generation.progress.total);
  }
}

function stopFollowing() {
  if (state.stream) state.stream.close();
  state.stream = null;
  state.followedId = null;
}

function finish(generation) {
  stopFollowing();
  renderGeneration(generation);
  $("generate").disabled = false;
  loadHistory(true);
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
  const body = {
    prompt,
    aspect_ratio: $("aspect-ratio").value,
    num_images: Number($("num-images").value),
  };
  $("generate").disabled = true;
  try {
    // One key per click: a retried request never starts a second generation.
    const accepted = await api("/api/v1/generations", {
      method: "POST",
      body,
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    follow(accepted.generation_id, prompt, body.num_images, body.aspect_ratio);
    loadHistory(true);
  } catch (error) {
    $("generate").disabled = false;
    if (error instanceof ApiError && error.status === 401) {
      show("auth");
      return;
    }
    showError(errorBox, error);
  }
}

// ---------- history

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
    placeholder.textContent = generation.status === "failed" ? "Failed" : "In progress";
    thumbs.append(placeholder);
  }
  for (const image of images) {
    const img = document.createElement("img");
    img.src = `${image.url}?size=thumb`;
    img.alt = "";
    img.loading = "lazy";
    thumbs.append(img);
  }
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
    const cards = page.items.map(historyCard);
    if (reset) $("history").replaceChildren(...cards);
    else $("history").append(...cards);
    state.historyCursor = page.next_cursor;
    $("history-more").hidden = !page.next_cursor;
    $("history-empty").hidden = $("history").children.length > 0;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) show("auth");
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
  $("api-key-dismiss").addEventListener("click", () => {
    $("api-key-notice").hidden = true;
    $("api-key-value").textContent = "";
  });
}

async function start() {
  wire();
  setAuthMode("login");
  try {
    await enterStudio();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      show("auth");
      $("username").focus();
    } else {
      show("auth");
      showError($("auth-error"), error);
    }
  }
}

start();
