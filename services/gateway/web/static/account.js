// The Account page (#/account): my API keys (list, create with scopes — the secret shown once, with
// a Copy button —, revoke), my password, my browser sessions (sign out one, sign out everywhere), and
// the way to my plan and receipts. Everything here is the signed-in user's own; the API answers
// nothing else.

import { api, ApiError } from "./api.js";
import { KEYS_CHANGED } from "./account_webhook_keys.js";
import { $, clearError, el, showError } from "./ui.js";

const SCOPE_WORDS = { read: "Read", generate: "Generate", manage: "Manage" };
const COPIED_FOR_MS = 2000;

let onSignedOut = () => {};

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "Never";
}

// Copies `text` and says so on the button. The Clipboard API where the page may use it; otherwise
// the text is selected in `fallbackNode` and copied the old way.
export async function copyToClipboard(button, text, fallbackNode) {
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    if (fallbackNode) {
      const range = document.createRange();
      range.selectNodeContents(fallbackNode);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      copied = document.execCommand("copy");
    }
  }
  button.textContent = copied ? "Copied" : "Select and copy it by hand";
  setTimeout(() => { button.textContent = label; }, COPIED_FOR_MS);
}

// ---------- API keys

export function confirmingButton(label, confirmLabel, action) {
  // A destructive action asks once more on the button itself; it reverts if not confirmed soon.
  const button = el("button", { className: "button ghost small danger", text: label, attrs: { type: "button" } });
  button.addEventListener("click", async () => {
    if (button.dataset.armed !== "yes") {
      button.dataset.armed = "yes";
      button.textContent = confirmLabel;
      setTimeout(() => {
        if (button.isConnected) {
          button.dataset.armed = "";
          button.textContent = label;
        }
      }, 5000);
      return;
    }
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function keyRow(key) {
  const name = key.name || "(unnamed)";
  const revoke = confirmingButton("Revoke", "Revoke for good?", async () => {
    try {
      await api(`/api/v1/api-keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        showError($("keys-error"), error);
        return;
      }
    }
    await loadKeys();
    document.dispatchEvent(new CustomEvent(KEYS_CHANGED));
  });
  revoke.setAttribute("aria-label", `Revoke key ${name}`);
  const scopes = el("td", {}, ...key.scopes.map((scope) => el("span", {
    className: `scope-chip scope-${scope}`, text: SCOPE_WORDS[scope] || scope,
  })));
  scopes.dataset.label = "Scopes";
  return el("tr", { attrs: { "data-key-id": key.id } },
    el("th", { text: name, attrs: { scope: "row" } }),
    el("td", { attrs: { "data-label": "Key" } }, el("code", { text: `${key.prefix}…` })),
    scopes,
    el("td", { text: when(key.created_at), attrs: { "data-label": "Created" } }),
    el("td", { text: when(key.last_used_at), attrs: { "data-label": "Last used" } }),
    el("td", { className: "row-action" }, revoke));
}

async function loadKeys() {
  clearError($("keys-error"));
  try {
    const page = await api("/api/v1/api-keys");
    $("keys-body").replaceChildren(...page.items.map(keyRow));
    $("keys-empty").hidden = page.items.length > 0;
  } catch (error) {
    showError($("keys-error"), error);
  }
}

async function createKey(event) {
  event.preventDefault();
  clearError($("keys-error"));
  const scopes = [...document.querySelectorAll("input[name=key-scope]:checked")].map((input) => input.value);
  if (scopes.length === 0) {
    showError($("keys-error"), "Choose at least one scope.");
    return;
  }
  const button = $("key-create");
  button.disabled = true;
  try {
    const created = await api("/api/v1/api-keys", { method: "POST", body: { name: $("key-name").value.trim(), scopes } });
    $("key-created-value").textContent = created.api_key;
    $("key-created").hidden = false;
    $("key-name").value = "";
    await loadKeys();
    document.dispatchEvent(new CustomEvent(KEYS_CHANGED));
    $("key-copy").focus();
  } catch (error) {
    showError($("keys-error"), error);
  } finally {
    button.disabled = false;
  }
}

function forgetCreatedKey() {
  $("key-created").hidden = true;
  $("key-created-value").textContent = "";
}

// ---------- password

async function changePassword(event) {
  event.preventDefault();
  const errorBox = $("password-error");
  clearError(errorBox);
  $("password-done").hidden = true;
  const button = $("password-submit");
  button.disabled = true;
  try {
    await api("/api/v1/me/password", {
      method: "POST",
      body: { current_password: $("current-password").value, new_password: $("new-password").value },
    });
    $("current-password").value = "";
    $("new-password").value = "";
    $("password-done").hidden = false;
    await loadSessions();
  } catch (error) {
    showError(errorBox, error);
  } finally {
    button.disabled = false;
  }
}

// ---------- sessions

function sessionRow(session) {
  const device = session.user_agent || "Unknown browser";
  const action = session.current
    ? el("span", { className: "hint", text: "This browser" })
    : confirmingButton("Sign out", "Sign it out?", async () => {
      try {
        await api(`/api/v1/sessions/${encodeURIComponent(session.id)}`, { method: "DELETE" });
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) {
          showError($("sessions-error"), error);
          return;
        }
      }
      await loadSessions();
    });
  if (!session.current) action.setAttribute("aria-label", `Sign out ${device}`);
  const row = el("tr", {},
    el("th", { text: device, className: "session-device", attrs: { scope: "row", title: device } }),
    el("td", { text: when(session.created_at), attrs: { "data-label": "Signed in" } }),
    el("td", {
      text: session.last_used_at ? when(session.last_used_at) : when(session.created_at),
      attrs: { "data-label": "Last active" },
    }),
    el("td", { className: "row-action" }, action));
  if (session.current) row.classList.add("current");
  return row;
}

async function loadSessions() {
  clearError($("sessions-error"));
  try {
    const page = await api("/api/v1/sessions");
    $("sessions-body").replaceChildren(...page.items.map(sessionRow));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) onSignedOut();
    else showError($("sessions-error"), error);
  }
}

async function signOutEverywhere() {
  try {
    await api("/api/v1/sessions", { method: "DELETE" });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      showError($("sessions-error"), error);
      return;
    }
  }
  onSignedOut();
}

// ---------- the page

export async function loadAccountPage(me) {
  $("account-page-username").textContent = me.username;
  $("password-form-username").value = me.username; // for password managers
  forgetCreatedKey();
  clearError($("password-error"));
  $("password-done").hidden = true;
  await Promise.all([loadKeys(), loadSessions()]);
}

export function wireAccount({ signedOut }) {
  onSignedOut = signedOut;
  $("key-form").addEventListener("submit", createKey);
  $("key-copy").addEventListener("click", () => {
    copyToClipboard($("key-copy"), $("key-created-value").textContent, $("key-created-value"));
  });
  $("key-created-dismiss").addEventListener("click", forgetCreatedKey);
  $("password-form").addEventListener("submit", changePassword);
  const everywhere = confirmingButton("Sign out everywhere", "Sign out on every device?", signOutEverywhere);
  everywhere.id = "sign-out-everywhere";
  $("sign-out-everywhere-slot").replaceWith(everywhere);
}
