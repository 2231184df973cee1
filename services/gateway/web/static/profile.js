// A profile page (/u/<username>): the profile photo, pinned images and public images, with infinite
// scroll. Anyone may look; the API shows only what the viewer may see (the owner also sees their own
// pinned private images, marked private).

import { api, ApiError } from "./api.js";
import { avatarElement, feedCard, onSentinel, sentinelInView } from "./feed.js";
import { $, clearError, showError } from "./ui.js";

const PAGE_SIZE = 24;

const profile = {
  username: null,
  cursor: null,
  loading: false,
  generation: 0,
  getMe: () => null,
};

export function profileName() {
  const match = window.location.pathname.match(/^\/u\/([^/]+)$/);
  return match ? decodeURIComponent(match[1]) : null;
}

function cards(items, pinned) {
  return items.map((item) => feedCard(item, {
    getMe: profile.getMe,
    showOwner: false,
    onChange: (image) => {
      // Likes are updated in place; what moves an image between (or off) the lists reloads them.
      const pinChanged = typeof image.pinned === "boolean" && image.pinned !== pinned;
      if (image.deleted || image.visibility !== item.visibility || pinChanged) loadProfile(profile.username, true);
    },
  }));
}

function renderHead(data) {
  $("profile-name").textContent = data.username;
  $("profile-avatar").replaceWith(Object.assign(avatarElement(data.avatar_url, data.username, "large"),
    { id: "profile-avatar" }));
  $("profile-note").textContent = data.is_you
    ? "Your profile. Pin images and choose a profile photo from an image's panel."
    : "";
  document.title = `${data.username} — Atelier`;
}

export async function loadProfile(username, reset) {
  if (reset) {
    profile.generation += 1;
    profile.username = username;
    profile.cursor = null;
    profile.loading = false;
  } else if (profile.loading || !profile.cursor) {
    return;
  }
  const generation = profile.generation;
  profile.loading = true;
  clearError($("profile-error"));
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (!reset && profile.cursor) params.set("cursor", profile.cursor);
  try {
    const data = await api(`/api/v1/users/${encodeURIComponent(profile.username)}?${params}`);
    if (generation !== profile.generation) return;
    $("profile-missing").hidden = true;
    $("profile-images-box").hidden = false;
    if (reset) {
      renderHead(data);
      $("profile-pinned").replaceChildren(...cards(data.pinned, true));
      $("profile-pinned-box").hidden = data.pinned.length === 0;
      $("profile-images").replaceChildren(...cards(data.images, false));
    } else {
      $("profile-images").append(...cards(data.images, false));
    }
    profile.cursor = data.next_cursor;
    $("profile-more").hidden = !data.next_cursor;
    $("profile-empty").hidden = $("profile-images").children.length > 0;
  } catch (error) {
    if (generation !== profile.generation) return;
    if (error instanceof ApiError && error.status === 404) {
      $("profile-name").textContent = profile.username;
      $("profile-missing").hidden = false;
      $("profile-pinned-box").hidden = true;
      $("profile-images-box").hidden = true;
    } else {
      showError($("profile-error"), error);
    }
  } finally {
    if (generation === profile.generation) profile.loading = false;
  }
  if (profile.cursor && generation === profile.generation && sentinelInView($("profile-sentinel"))) {
    loadProfile(profile.username, false);
  }
}

export function wireProfile({ getMe }) {
  profile.getMe = getMe;
  $("profile-more").addEventListener("click", () => loadProfile(profile.username, false));
  onSentinel($("profile-sentinel"), () => {
    if (!$("profile-view").hidden && profile.username) loadProfile(profile.username, false);
  });
}
