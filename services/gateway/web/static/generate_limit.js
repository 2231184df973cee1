// Generate stays open while sets run, up to the plan's number of generations at once
// (`max_concurrent_generations` from /api/v1/me); at the limit the button is disabled and says why,
// in its tooltip and in a note under the prompt box. The generation service enforces the same
// limit (429): this only spares a click that would be refused.

export function limitReason(me, limit) {
  const plan = me && me.plan_display_name ? `${me.plan_display_name} plan` : "plan";
  return limit === 1
    ? `Your ${plan} runs 1 generation at a time: Generate comes back when it finishes.`
    : `Your ${plan} runs ${limit} generations at once: Generate comes back when one finishes.`;
}

export function renderGenerateLimit(button, note, { running, me, submitting }) {
  const limit = Math.max(1, me ? me.max_concurrent_generations : 1);
  const atLimit = running >= limit;
  button.disabled = submitting || atLimit;
  const reason = atLimit ? limitReason(me, limit) : "";
  if (atLimit) button.title = reason;
  else button.removeAttribute("title");
  note.textContent = reason;
  note.hidden = !atLimit;
}
