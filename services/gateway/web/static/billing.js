// The billing page (/billing): my plan as billing reports it (renews or ends on a date), the
// payment provider's portal to change or cancel, and receipts of credit grants and plan changes.
// Back from checkout (?checkout=done) it waits for the provider's signed confirmation: the plan
// shown is always billing's, never assumed from the browser having come back.

import { api } from "./api.js";
import { credits, day, price } from "./money.js";
import { $, clearError, el, showError } from "./ui.js";

const STATUS_LABEL = { none: "Free", active: "Active", lapsed: "Lapsed" };
const CONFIRMATION_POLLS = 20;
const POLL_MS = 1000;

function renderSubscription(sub) {
  $("billing-plan").textContent = `${sub.plan_display_name} plan`;
  $("billing-status").textContent = sub.cancel_at_period_end ? "Cancelled" : STATUS_LABEL[sub.status] || sub.status;
  let period = "";
  if (sub.status === "active" && sub.current_period_end) {
    period = sub.cancel_at_period_end
      ? `Ends on ${day(sub.current_period_end)}; it will not renew.`
      : `Renews on ${day(sub.current_period_end)}.`;
  }
  $("billing-period").textContent = period;
  $("billing-credits").textContent = `${credits(sub.credits)} left.`;
  $("billing-manage").hidden = !sub.manageable;
}

function receiptRow(item) {
  let amount = "";
  if (item.kind === "credits") amount = `+${credits(item.credits)}`;
  else if (item.price_cents > 0) amount = `${price(item.price_cents, item.currency)} / month`;
  return el("tr", {},
    el("td", { text: day(item.created_at) }),
    el("td", { text: item.description }),
    el("td", { className: "amount", text: amount }));
}

async function renderReceipts() {
  const page = await api("/api/v1/billing/receipts");
  $("receipts-body").replaceChildren(...page.items.map(receiptRow));
  $("receipts-empty").hidden = page.items.length > 0;
}

async function openPortal() {
  clearError($("billing-error"));
  try {
    const reply = await api("/api/v1/billing/portal", { method: "POST" });
    window.location.assign(reply.url);
  } catch (error) {
    showError($("billing-error"), error);
  }
}

async function awaitConfirmation(first) {
  // The provider's signed webhook may come after the browser: ask billing again for a while. A
  // subscription the provider manages is what a confirmed checkout leaves (checkout is refused
  // while one exists).
  const notice = $("billing-notice");
  notice.hidden = false;
  let sub = first;
  for (let i = 0; !sub.manageable && i < CONFIRMATION_POLLS; i += 1) {
    notice.textContent = "Waiting for the payment provider to confirm your payment…";
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    sub = await api("/api/v1/billing/subscription");
  }
  if (!sub.manageable) {
    notice.textContent = "The payment provider has not confirmed yet; this page shows your plan once it does.";
    return;
  }
  renderSubscription(sub);
  notice.textContent = `Payment confirmed: you are on the ${sub.plan_display_name} plan.`;
  window.dispatchEvent(new CustomEvent("atelier:me-changed"));
}

export async function loadBilling() {
  document.title = "Billing — Atelier";
  clearError($("billing-error"));
  $("billing-notice").hidden = true;
  try {
    const sub = await api("/api/v1/billing/subscription");
    renderSubscription(sub);
    await renderReceipts();
    if (new URLSearchParams(window.location.search).get("checkout") === "done") {
      await awaitConfirmation(sub);
      await renderReceipts();
    }
  } catch (error) {
    showError($("billing-error"), error);
  }
}

export function wireBilling() {
  $("billing-manage").addEventListener("click", openPortal);
}
