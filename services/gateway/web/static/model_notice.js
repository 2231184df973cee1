// The model's notice under a generation: the built-in model names the prompt's words it cannot draw
// and says what it draws instead (API: generation.model_notice); a mounted model never sends one.

import { $ } from "./ui.js";

export function showModelNotice(generation) {
  const box = $("model-notice");
  const notice = generation.status === "succeeded" ? generation.model_notice : null;
  box.textContent = notice ? notice.message : "";
  box.hidden = !notice;
}
