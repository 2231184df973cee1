// The Account page's Webhooks block: my endpoints (list, add with events and whose: the whole
// account's or one API key's — the signing secret shown once, with a Copy button —, delete) and the delivery log of one endpoint at a time. The API answers
// only the signed-in user's endpoints; its refusals (an unsafe URL, too many endpoints) are shown as
// it words them.

import { api, ApiError } from "./api.js";
import { confirmingButton, copyToClipboard } from "./account.js";
import { chosenKeyId, KEYS_CHANGED, loadKeyChoices, scopeCell } from "./account_webhook_keys.js";
import { $, clearError, el, showError } from "./ui.js";

const EVENT_WORDS = {
  "generation.completed": "Generation completed",
  "generation.failed": "Generation failed",
  "image.visibility_changed": "Visibility changed",
};
const STATUS_WORDS = { pending: "Pending", delivered: "Delivered", failed: "Failed" };
const LOG_LIMIT = 50;

let shownLog = null; // the endpoint whose delivery log is open: {id, url}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function eventChips(events) {
  const names = events.length > 0 ? events.map((name) => EVENT_WORDS[name] || name) : ["All events"];
  const cell = el("td", { attrs: { "data-label": "Events" } },
    ...names.map((name) => el("span", { className: "scope-chip", text: name })));
  return cell;
}

function endpointRow(endpoint) {
  const logButton = el("button", {
    className: "button ghost small", text: "Deliveries", attrs: { type: "button", "aria-label": `Deliveries to ${endpoint.url}` },
  });
  logButton.addEventListener("click", () => openLog(endpoint));
  const remove = confirmingButton("Delete", "Delete it and its log?", async () => {
    try {
      await api(`/api/v1/webhooks/${encodeURIComponent(endpoint.id)}`, { method: "DELETE" });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        showError($("webhooks-error"), error);
        return;
      }
    }
    if (shownLog && shownLog.id === endpoint.id) closeLog();
    await loadWebhooks();
  });
  remove.setAttribute("aria-label", `Delete endpoint ${endpoint.url}`);
  return el("tr", { attrs: { "data-webhook-id": endpoint.id } },
    el("th", { className: "webhook-url", text: endpoint.url, attrs: { scope: "row" } }),
    scopeCell(endpoint),
    eventChips(endpoint.events),
    el("td", { text: when(endpoint.created_at), attrs: { "data-label": "Created" } }),
    el("td", { className: "row-action" }, logButton, " ", remove));
}

export async function loadWebhooks() {
  clearError($("webhooks-error"));
  try {
    const page = await api("/api/v1/webhooks");
    $("webhooks-body").replaceChildren(...page.items.map(endpointRow));
    $("webhooks-empty").hidden = page.items.length > 0;
  } catch (error) {
    $("webhooks-body").replaceChildren();
    showError($("webhooks-error"), error);
  }
}

async function addEndpoint(event) {
  event.preventDefault();
  clearError($("webhooks-error"));
  const url = $("webhook-url").value.trim();
  const events = [...document.querySelectorAll("input[name=webhook-event]:checked")].map((input) => input.value);
  if (!url) {
    showError($("webhooks-error"), "Enter the URL to send events to.");
    return;
  }
  if (events.length === 0) {
    showError($("webhooks-error"), "Choose at least one event.");
    return;
  }
  const button = $("webhook-create");
  button.disabled = true;
  try {
    const created = await api("/api/v1/webhooks", { method: "POST", body: { url, events, api_key_id: chosenKeyId() } });
    $("webhook-created-secret").textContent = created.signing_secret;
    $("webhook-created").hidden = false;
    $("webhook-url").value = "";
    await loadWebhooks();
    $("webhook-secret-copy").focus();
  } catch (error) {
    showError($("webhooks-error"), error);
  } finally {
    button.disabled = false;
  }
}

function forgetCreatedSecret() {
  $("webhook-created").hidden = true;
  $("webhook-created-secret").textContent = "";
}

// ---------- the delivery log

function lastResponse(attempt) {
  if (!attempt) return "None yet";
  if (attempt.response_status !== null) return `HTTP ${attempt.response_status}`;
  return attempt.error ? `No answer: ${attempt.error}` : "No answer";
}

function deliveryRow(delivery) {
  const last = delivery.attempts.length > 0 ? delivery.attempts[delivery.attempts.length - 1] : null;
  let status = STATUS_WORDS[delivery.status] || delivery.status;
  if (delivery.status === "pending" && delivery.next_attempt_at) status += ` (next try ${when(delivery.next_attempt_at)})`;
  return el("tr", { attrs: { "data-delivery-id": delivery.id } },
    el("th", { text: EVENT_WORDS[delivery.event_type] || delivery.event_type, attrs: { scope: "row" } }),
    el("td", { className: `delivery-status is-${delivery.status}`, text: status, attrs: { "data-label": "Status" } }),
    el("td", { text: String(delivery.attempts.length), attrs: { "data-label": "Attempts" } }),
    el("td", { className: "delivery-response", text: lastResponse(last), attrs: { "data-label": "Last response" } }),
    el("td", { text: when(last ? last.attempted_at : delivery.created_at), attrs: { "data-label": "Time" } }));
}

async function loadLog() {
  if (!shownLog) return;
  const endpoint = shownLog;
  clearError($("webhook-log-error"));
  try {
    const page = await api(`/api/v1/webhooks/${encodeURIComponent(endpoint.id)}/deliveries?limit=${LOG_LIMIT}`);
    if (shownLog !== endpoint) return; // another endpoint's log was opened meanwhile
    $("webhook-log-body").replaceChildren(...page.items.map(deliveryRow));
    $("webhook-log-empty").hidden = page.items.length > 0;
  } catch (error) {
    showError($("webhook-log-error"), error);
  }
}

function openLog(endpoint) {
  shownLog = { id: endpoint.id, url: endpoint.url };
  $("webhook-log-title").textContent = `Deliveries to ${endpoint.url}`;
  $("webhook-log-body").replaceChildren();
  $("webhook-log-empty").hidden = true;
  $("webhook-log").hidden = false;
  return loadLog();
}

function closeLog() {
  shownLog = null;
  $("webhook-log").hidden = true;
  $("webhook-log-body").replaceChildren();
}

// ---------- the block

async function loadChoicesShowingErrors() {
  try {
    await loadKeyChoices();
  } catch (error) {
    showError($("webhooks-error"), error);
  }
}

export async function loadWebhooksBlock() {
  forgetCreatedSecret();
  closeLog();
  await Promise.all([loadWebhooks(), loadChoicesShowingErrors()]);
}

export function wireWebhooks() {
  $("webhook-form").addEventListener("submit", addEndpoint);
  $("webhook-secret-copy").addEventListener("click", () => {
    copyToClipboard($("webhook-secret-copy"), $("webhook-created-secret").textContent, $("webhook-created-secret"));
  });
  $("webhook-created-dismiss").addEventListener("click", forgetCreatedSecret);
  $("webhook-log-refresh").addEventListener("click", loadLog);
  $("webhook-log-close").addEventListener("click", closeLog);
  // A revoked key took its endpoints with it; a new key is one more choice.
  document.addEventListener(KEYS_CHANGED, () => Promise.all([loadWebhooks(), loadChoicesShowingErrors()]));
}
