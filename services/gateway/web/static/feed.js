// The public feed: one card per generation (its public images open as a set in the detail panel),
// newest or top over a window (day, week, all time), a prompt search, infinite scroll (with a
// "Load more" button for keyboards and when scrolling cannot tell). Anyone may look, signed in or
// not; signed in, a card can be liked, and one's own cards pinned, without opening them. Owners'
// names lead to their profiles (/u/<name>).

import { api, ApiError } from "./api.js";
import { openImage } from "./detail.js";
import { $, clearError, el, showError, visibilityBadge } from "./ui.js";

const PAGE_SIZE = 24;

const WINDOW_WORDS = { day: "today", week: "this week", all: "of all time" };

const feed = {
  sort: "new",
  window: "week",
  q: "",
  shown: new Set(), // image ids on cards already: a set split over two pages shows once
  cursor: null,
  loading: false,
  generation: 0, // bumps on every reset, so that a late page of an older listing is dropped
  getMe: () => null,
};

export function avatarElement(url, username, size = "small") {
  const box = el("span", { className: `avatar ${size}`, attrs: { "aria-hidden": "true" } });
  if (url) {
    box.append(el("img", { attrs: { src: url, alt: "" } }));
  } else {
    box.textContent = (username || "?").charAt(0).toUpperCase();
  }
  return box;
}

function likesText(count) {
  return `♥ ${count}`;
}

function likeButton(item, likes) {
  const button = el("button", {
    className: `feed-likes card-like${item.liked_by_you ? " is-liked" : ""}`,
    text: likesText(item.like_count),
    attrs: { type: "button", "aria-pressed": String(Boolean(item.liked_by_you)) },
  });
  const show = () => {
    button.textContent = likesText(item.like_count);
    button.classList.toggle("is-liked", Boolean(item.liked_by_you));
    button.setAttribute("aria-pressed", String(Boolean(item.liked_by_you)));
    button.setAttribute("aria-label", `${item.liked_by_you ? "Unlike" : "Like"} (${item.like_count})`);
  };
  show();
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const method = item.liked_by_you ? "DELETE" : "POST";
      const state = await api(`/api/v1/images/${item.image_id}/like`, { method });
      item.like_count = state.like_count;
      item.liked_by_you = state.liked_by_you;
      show();
    } catch (error) {
      button.title = error instanceof ApiError ? error.message : String(error);
    } finally {
      button.disabled = false;
    }
  });
  likes.replaceWith(button);
  return button;
}

function pinButton(item) {
  const button = el("button", { className: "button ghost small card-pin", attrs: { type: "button" } });
  const show = () => {
    button.textContent = item.pinned ? "Pinned" : "Pin";
    button.setAttribute("aria-pressed", String(Boolean(item.pinned)));
    button.title = item.pinned ? "Unpin from your profile" : "Pin to your profile";
  };
  show();
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const state = await api(`/api/v1/images/${item.image_id}/pin`, { method: item.pinned ? "DELETE" : "POST" });
      item.pinned = state.pinned;
      show();
    } catch (error) {
      button.title = error instanceof ApiError ? error.message : String(error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

// One card of a grid (the feed, a profile). `onChange` hears of changes made in the detail panel.
// With `set` (the image ids of the card's generation) the panel opens on the set; with `actions`
// a signed-in viewer may like the card, and pin it when it is theirs, from the card itself.
export function feedCard(item, { getMe, onChange = () => {}, showOwner = true, set = null, actions = false } = {}) {
  const li = el("li", { className: "feed-card", attrs: { "data-image-id": item.image_id } });
  const owner = item.owner && item.owner.username ? item.owner.username : "someone";
  const img = el("img", { attrs: { src: `${item.url}?size=thumb`, alt: "", loading: "lazy" } });
  img.style.setProperty("aspect-ratio", `${item.width} / ${item.height}`);
  const count = set ? set.length : 1;
  const open = el("button", {
    className: "feed-open",
    attrs: {
      type: "button",
      "aria-label": `Open “${item.prompt}” by ${owner}${count > 1 ? ` (${count} images)` : ""}`,
    },
  }, img);
  let likes = el("span", {
    className: `feed-likes${item.liked_by_you ? " is-liked" : ""}`,
    text: likesText(item.like_count),
    attrs: { title: `${item.like_count} like${item.like_count === 1 ? "" : "s"}` },
  });
  open.addEventListener("click", () => {
    openImage(item.image_id, {
      me: getMe(),
      set,
      onChange: (image) => {
        if (image.image_id === item.image_id && typeof image.like_count === "number") {
          item.like_count = image.like_count;
          item.liked_by_you = Boolean(image.liked_by_you);
          likes.textContent = likesText(image.like_count);
          likes.classList.toggle("is-liked", Boolean(image.liked_by_you));
          if (likes.tagName === "BUTTON") likes.setAttribute("aria-pressed", String(Boolean(image.liked_by_you)));
        }
        onChange(image);
      },
    });
  });
  const meta = el("div", { className: "feed-meta" });
  if (showOwner && item.owner && item.owner.username) {
    const link = el("a", { className: "feed-owner", attrs: { href: `/u/${encodeURIComponent(item.owner.username)}` } },
      avatarElement(item.owner.avatar_url, item.owner.username),
      el("span", { className: "feed-owner-name", text: item.owner.username }));
    meta.append(link);
  } else {
    meta.append(el("span"));
  }
  const tools = el("span", { className: "card-tools" }, likes);
  meta.append(tools);
  li.append(open, meta, el("p", { className: "feed-prompt", text: item.prompt }));
  if (count > 1) li.append(el("span", { className: "set-count", text: `${count} images` }));
  if (item.visibility === "private") li.append(visibilityBadge("private"));
  if (actions && getMe()) {
    likes = likeButton(item, likes);
    if (item.owned_by_you && typeof item.pinned === "boolean") tools.prepend(pinButton(item));
  }
  return li;
}

function summary() {
  const order = feed.sort === "top" ? `Most liked ${WINDOW_WORDS[feed.window]}` : "Newest first";
  return feed.q ? `${order} · prompts matching “${feed.q}”` : order;
}

export async function loadFeed(reset) {
  if (reset) {
    feed.generation += 1;
    feed.cursor = null;
    feed.loading = false;
    feed.shown = new Set();
  } else if (feed.loading || !feed.cursor) {
    return;
  }
  const generation = feed.generation;
  feed.loading = true;
  clearError($("feed-error"));
  const params = new URLSearchParams({ sort: feed.sort, limit: String(PAGE_SIZE) });
  if (feed.sort === "top") params.set("window", feed.window);
  if (feed.q) params.set("q", feed.q);
  if (!reset && feed.cursor) params.set("cursor", feed.cursor);
  try {
    const page = await api(`/api/v1/feed/sets?${params}`);
    if (generation !== feed.generation) return;
    const fresh = page.items.filter((item) => !item.set_images.some((image) => feed.shown.has(image.image_id)));
    for (const item of fresh) for (const image of item.set_images) feed.shown.add(image.image_id);
    const cards = fresh.map((item) => feedCard(item, {
      getMe: feed.getMe,
      set: item.set_images.map((image) => image.image_id),
      actions: true,
    }));
    if (reset) $("feed-grid").replaceChildren(...cards);
    else $("feed-grid").append(...cards);
    feed.cursor = page.next_cursor;
    $("feed-more").hidden = !page.next_cursor;
    $("feed-summary").textContent = summary();
    const empty = $("feed-grid").children.length === 0;
    $("feed-empty").hidden = !empty;
    $("feed-empty").textContent = feed.q ? `No public image matches “${feed.q}”.` : "Nothing here yet.";
  } catch (error) {
    if (generation === feed.generation) showError($("feed-error"), error);
  } finally {
    if (generation === feed.generation) feed.loading = false;
  }
  // A short page may not fill the screen: keep going while the sentinel is in view.
  if (feed.cursor && generation === feed.generation && sentinelInView($("feed-sentinel"))) loadFeed(false);
}

export function sentinelInView(sentinel) {
  const box = sentinel.getBoundingClientRect();
  return !sentinel.closest("[hidden]") && box.top < window.innerHeight + 400;
}

function setSort(sort) {
  feed.sort = sort;
  for (const tab of document.querySelectorAll("#feed-view [role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.sort === sort));
  }
  $("feed-grid").setAttribute("aria-labelledby", `feed-sort-${sort}`);
  $("feed-window-box").hidden = sort !== "top";
  loadFeed(true);
}

export function onSentinel(sentinel, load) {
  if (!("IntersectionObserver" in window)) return;
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) load();
  }, { rootMargin: "400px" });
  observer.observe(sentinel);
}

export function wireFeed({ getMe }) {
  feed.getMe = getMe;
  for (const tab of document.querySelectorAll("#feed-view [role=tab]")) {
    tab.addEventListener("click", () => setSort(tab.dataset.sort));
  }
  $("feed-search").addEventListener("submit", (event) => {
    event.preventDefault();
    feed.q = $("feed-q").value.trim().replace(/\s+/g, " ");
    loadFeed(true);
  });
  $("feed-q").addEventListener("search", () => {
    // The clear button of a search field.
    if ($("feed-q").value === "" && feed.q) {
      feed.q = "";
      loadFeed(true);
    }
  });
  $("feed-window").addEventListener("change", () => {
    feed.window = $("feed-window").value;
    loadFeed(true);
  });
  $("feed-more").addEventListener("click", () => loadFeed(false));
  onSentinel($("feed-sentinel"), () => {
    if (!$("feed-view").hidden) loadFeed(false);
  });
}
