// The stand-in payment provider's page (/billing/standin/<session>, development and tests only):
// plays Stripe Checkout or the Customer Portal. It shows the order; confirming asks the gateway
// to deliver the signed events Stripe would send, and the plan changes from those alone.

import { api, ApiError } from "./api.js";
import { credits, day, price } from "./money.js";
import { $, clearError, el, showError } from "./ui.js";

export function standinSessionId() {
  const match = window.location.pathname.match(/^\/billing\/standin\/([A-Za-z0-9_-]+)$/);
  return match ? match[1] : null;
}

async function complete(sessionId, action, button) {
  clearError($("standin-error"));
  button.disabled = true;
  try {
    const done = await api(`/api/v1/billing/standin/${sessionId}/complete`, { method: "POST", body: { action } });
    window.location.assign(done.redirect_url);
  } catch (error) {
    button.disabled = false;
    showError($("standin-error"), error);
  }
}

function button(text, className, onClick) {
  const b = el("button", { className: `button ${className}`, text, attrs: { type: "button" } });
  b.addEventListener("click", () => onClick(b));
  return b;
}

export async function loadStandIn(sessionId) {
  document.title = "Test payment — Atelier";
  clearError($("standin-error"));
  const actions = $("standin-actions");
  actions.replaceChildren();
  let session;
  try {
    session = await api(`/api/v1/billing/standin/${sessionId}`);
  } catch (error) {
    $("standin-title").textContent = error instanceof ApiError && error.status === 404
      ? "No such payment session" : "Payment";
    showError($("standin-error"), error);
    return;
  }
  const plan = session.plan;
  const monthly = `${price(plan.monthly_price_cents, plan.currency)} / month`;
  if (session.kind === "checkout") {
    $("standin-title").textContent = `Subscribe to Atelier ${plan.display_name}`;
    $("standin-order").textContent = `${plan.display_name} plan · ${monthly}`;
    $("standin-detail").textContent = `${credits(plan.monthly_credits)} a month, renewed monthly until you cancel.`;
    if (!session.completed) {
      actions.append(button(`Pay ${monthly}`, "primary", (b) => complete(sessionId, "pay", b)));
    }
    actions.append(el("a", { className: "button ghost", text: "Cancel and go back",
      attrs: { href: session.cancel_url || "/pricing" } }));
  } else {
    $("standin-title").textContent = "Manage your subscription";
    $("standin-order").textContent = `${plan.display_name} plan · ${monthly}`;
    const end = session.current_period_end ? day(session.current_period_end) : "";
    $("standin-detail").textContent = session.cancel_at_period_end
      ? `Cancelled: ends on ${end}.` : `Renews on ${end}.`;
    if (!session.completed) {
      actions.append(session.cancel_at_period_end
        ? button("Keep my subscription", "primary", (b) => complete(sessionId, "resume", b))
        : button("Cancel subscription", "ghost danger", (b) => complete(sessionId, "cancel", b)));
    }
    actions.append(el("a", { className: "button ghost", text: "Back to Atelier", attrs: { href: "/billing" } }));
  }
  if (session.completed) $("standin-detail").textContent += " This session is complete.";
}
