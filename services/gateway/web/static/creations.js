// The Creations page: my images, All / Public / Private tabs, multi-select, Make private / Make public,
// Download zip (built by the gateway from my own images) and Delete (whole generations, confirmed).

import { api, ApiError } from "./api.js";
import { confirmAction, deleteUndoably, offerUndo } from "./confirm.js";
import { openImage } from "./detail.js";
import { $, allowOrExplain, clearError, el, showError, upgradeLink, visibilityBadge } from "./ui.js";

const PAGE_SIZE = 24;

const page = {
  filter: "all",
  cursor: null,
  selected: new Set(),
  getMe: () => null,
  onUnauthorized: () => {},
};

function privacyPermission() {
  const me = page.getMe();
  return me ? me.permissions.private_generation : { allowed: false };
}

function renderSelection() {
  const count = page.selected.size;
  $("selection-count").textContent = count === 0 ? "Nothing selected" : `${count} selected`;
  const permission = privacyPermission();
  for (const id of ["make-private", "make-public"]) {
    const allowed = allowOrExplain($(id), permission, null);
    if (allowed && count === 0) {
      $(id).disabled = true;
      $(id).title = "Select images first.";
    }
  }
  const note = $("bulk-note");
  note.hidden = permission.allowed;
  note.textContent = permission.allowed ? "" : permission.reason;
  if (!permission.allowed) note.append(" ", upgradeLink());
  $("download-zip").disabled = count === 0;
  const me = page.getMe();
  const remove = $("delete-selected");
  if (allowOrExplain(remove, me ? me.permissions.delete_generation : { allowed: false }, null) && count === 0) {
    remove.disabled = true;
  }
}

// The generations of the selected images (a delete takes whole generation sets).
function selectedGenerations() {
  const ids = new Set();
  for (const li of $("creations-grid").children) {
    if (page.selected.has(li.dataset.imageId)) ids.add(li.dataset.generationId);
  }
  return [...ids];
}

async function downloadZip() {
  const ids = [...page.selected];
  if (ids.length === 0) return;
  clearError($("creations-error"));
  $("download-zip").disabled = true;
  try {
    const blob = await api("/api/v1/me/creations/zip", { method: "POST", body: { image_ids: ids }, as: "blob" });
    const link = el("a", { attrs: { href: URL.createObjectURL(blob), download: "atelier-images.zip" } });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    $("bulk-result").textContent = `${plural(ids.length, "image")} downloaded as a zip.`;
    $("bulk-result").hidden = false;
  } catch (error) {
    showError($("creations-error"), error);
  } finally {
    renderSelection();
  }
}

async function deleteSelected() {
  const generations = selectedGenerations();
  if (generations.length === 0) return;
  const confirmed = await confirmAction({
    title: `Delete ${plural(generations.length, "generation")}?`,
    message: "Deleting takes whole sets: every image of the selected images' generations is deleted, also those "
      + "you did not select, for everyone, you included. You can undo it for a few seconds.",
    confirmLabel: "Delete",
  });
  if (!confirmed) return;
  clearError($("creations-error"));
  let pending = [];
  try {
    pending = await deleteUndoably(generations);
  } catch (error) {
    showError($("creations-error"), error);
  }
  page.selected.clear();
  await loadCreations(true);
  if (pending.length === 0) return;
  const message = `${plural(pending.length, "generation")} deleted.`;
  $("bulk-result").textContent = message;
  $("bulk-result").hidden = false;
  offerUndo(message, pending, () => {
    $("bulk-result").textContent = `${plural(pending.length, "generation")} restored.`;
    loadCreations(true);
  });
}

function card(item) {
  const li = el("li", {
    className: "creation",
    attrs: { "data-image-id": item.image_id, "data-generation-id": item.generation_id },
  });
  const checkbox = el("input", { attrs: { type: "checkbox", "aria-label": `Select “${item.prompt}”` } });
  checkbox.checked = page.selected.has(item.image_id);
  checkbox.addEventListener("change", () => {
    if (checkbox.checked) page.selected.add(item.image_id);
    else page.selected.delete(item.image_id);
    li.classList.toggle("selected", checkbox.checked);
    renderSelection();
  });
  li.classList.toggle("selected", checkbox.checked);
  const select = el("label", { className: "creation-select" }, checkbox);
  const img = el("img", { attrs: { src: `${item.url}?size=thumb`, alt: "", loading: "lazy" } });
  img.style.setProperty("aspect-ratio", `${item.width} / ${item.height}`);
  const open = el("button", {
    className: "creation-open",
    attrs: { type: "button", "aria-label": `Open “${item.prompt}” (${item.visibility})` },
  }, img);
  open.addEventListener("click", () => openImage(item.image_id, {
    me: page.getMe(),
    onChange: () => loadCreations(true),
  }));
  const caption = el("p", { className: "creation-prompt", text: item.prompt });
  li.append(open, select, visibilityBadge(item.visibility), caption);
  return li;
}

export async function loadCreations(reset) {
  clearError($("creations-error"));
  if (reset) page.cursor = null;
  const params = new URLSearchParams({ visibility: page.filter, limit: String(PAGE_SIZE) });
  if (!reset && page.cursor) params.set("cursor", page.cursor);
  try {
    const result = await api(`/api/v1/me/creations?${params}`);
    const cards = result.items.map(card);
    if (reset) {
      $("creations-grid").replaceChildren(...cards);
      const shown = new Set(result.items.map((item) => item.image_id));
      for (const id of [...page.selected]) if (!shown.has(id)) page.selected.delete(id);
    } else {
      $("creations-grid").append(...cards);
    }
    page.cursor = result.next_cursor;
    $("creations-more").hidden = !result.next_cursor;
    $("creations-empty").hidden = $("creations-grid").children.length > 0;
    $("creations-empty").textContent = {
      all: "No images yet. Generate some on the Create page.",
      public: "No public images.",
      private: "No private images.",
    }[page.filter];
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) page.onUnauthorized();
    else showError($("creations-error"), error);
  }
  renderSelection();
}

function setFilter(filter) {
  page.filter = filter;
  page.selected.clear();
  for (const tab of document.querySelectorAll("#creations-view [role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.filter === filter));
  }
  $("creations-grid").setAttribute("aria-labelledby", `creations-tab-${filter}`);
  $("bulk-result").hidden = true;
  loadCreations(true);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function bulk(visibility) {
  const ids = [...page.selected];
  if (ids.length === 0) return;
  clearError($("creations-error"));
  for (const id of ["make-private", "make-public"]) $(id).disabled = true;
  try {
    const result = await api("/api/v1/images/visibility", { method: "POST", body: { image_ids: ids, visibility } });
    const parts = [`${plural(result.updated.length, "image")} made ${visibility}.`];
    if (result.refused.length > 0) {
      const reasons = [...new Set(result.refused.map((item) => item.reason))].join(" ");
      parts.push(`${plural(result.refused.length, "image")} refused: ${reasons}`);
    }
    $("bulk-result").textContent = parts.join(" ");
    $("bulk-result").hidden = false;
    page.selected.clear();
    await loadCreations(true);
  } catch (error) {
    showError($("creations-error"), error);
    renderSelection();
  }
}

export function wireCreations({ getMe, onUnauthorized }) {
  page.getMe = getMe;
  page.onUnauthorized = onUnauthorized;
  for (const tab of document.querySelectorAll("#creations-view [role=tab]")) {
    tab.addEventListener("click", () => setFilter(tab.dataset.filter));
  }
  $("creations-more").addEventListener("click", () => loadCreations(false));
  $("select-all").addEventListener("click", () => {
    for (const li of $("creations-grid").children) {
      page.selected.add(li.dataset.imageId);
      li.classList.add("selected");
      li.querySelector("input[type=checkbox]").checked = true;
    }
    renderSelection();
  });
  $("select-none").addEventListener("click", () => {
    page.selected.clear();
    for (const li of $("creations-grid").children) {
      li.classList.remove("selected");
      li.querySelector("input[type=checkbox]").checked = false;
    }
    renderSelection();
  });
  $("make-private").addEventListener("click", () => bulk("private"));
  $("make-public").addEventListener("click", () => bulk("public"));
  $("download-zip").addEventListener("click", downloadZip);
  $("delete-selected").addEventListener("click", deleteSelected);
}
