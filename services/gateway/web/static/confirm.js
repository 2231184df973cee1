// A styled confirm dialog (instead of the browser's confirm box), a toast with an Undo button, and
// deletions that can be undone: the server hides the images from everyone at once and removes them
// once its undo window has passed, unless they are restored before.

import { api } from "./api.js";
import { $, showError } from "./ui.js";

// Resolves true when the person confirms, false when they cancel (button, Escape or backdrop).
export function confirmAction({ title, message, confirmLabel = "Delete" }) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-message").textContent = message;
  $("confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "cancel";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

let toastTimer = null;

// Shows `message` for `seconds`; with `onUndo`, an Undo button that calls it (once) and hides the toast.
export function showToast(message, { seconds = 6, onUndo = null } = {}) {
  const toast = $("toast");
  const undo = $("toast-undo");
  clearTimeout(toastTimer);
  $("toast-message").textContent = message;
  undo.hidden = !onUndo;
  undo.onclick = onUndo
    ? () => {
      undo.onclick = null;
      toast.hidden = true;
      onUndo();
    }
    : null;
  toast.hidden = false;
  toastTimer = setTimeout(() => {
    toast.hidden = true;
    undo.onclick = null;
  }, seconds * 1000);
}

export function wireConfirm() {
  $("confirm").addEventListener("click", (event) => {
    if (event.target === $("confirm")) $("confirm").close("cancel"); // a click on the backdrop
  });
}

// Deletes the generations with undo; the pending deletions ({generation_id, undo_until}).
export async function deleteUndoably(generationIds) {
  const pending = [];
  for (const id of generationIds) {
    pending.push(await api(`/api/v1/generations/${id}?undo=true`, { method: "DELETE" }));
  }
  return pending;
}

// A toast offering to undo the pending deletions while their window lasts; `onRestored` after an undo.
export function offerUndo(message, pending, onRestored) {
  const firstEnd = Math.min(...pending.map((item) => Date.parse(item.undo_until)));
  const seconds = Math.max(2, (firstEnd - Date.now()) / 1000 - 1);
  showToast(message, {
    seconds,
    onUndo: async () => {
      try {
        for (const item of pending) {
          await api(`/api/v1/generations/${item.generation_id}/restore`, { method: "POST" });
        }
        showToast(pending.length === 1 ? "Restored." : `${pending.length} generations restored.`);
        onRestored();
      } catch (error) {
        showToast("");
        showError($("toast-message"), error);
      }
    },
  });
}
