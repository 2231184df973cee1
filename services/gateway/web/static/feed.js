// The public feed: a grid of public images, newest or top, a prompt search, infinite scroll (with a
// "Load more" button for keyboards and when scrolling cannot tell). Anyone may look, signed in or
// not. Cards open the image detail panel; owners' names lead to their profiles (/u/<name>).

import { api } from "./api.js";
import { openImage } from "./detail.js";
import { $, clearError, el, showError, visibilityBadge } from "./ui.js";

const PAGE_SIZE = 24;

const feed = {
  sort: "new",
  q: "",
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

// One card of a grid (the feed, a profile). `onChange` hears of changes made in the detail panel.
export function feedCard(item, { getMe, onChange = () => {}, showOwner = true } = {}) {
  const li = el("li", { className: "feed-card", attrs: { "data-image-id": item.image_id } });
  const owner = item.owner && item.owner.username ? item.owner.username : "someone";
  const img = el("img", { attrs: { src: `${item.url}?size=thumb`, alt: "", loading: "lazy" } });
  img.style.setProperty("aspect-ratio", `${item.width} / ${item.height}`);
  const open = el("button", {
    className: "feed-open",
    attrs: { type: "button", "aria-label": `Open “${item.prompt}” by ${owner}` },
  }, img);
  const likes = el("span", {
    className: `feed-likes${item.liked_by_you ? " is-liked" : ""}`,
    text: likesText(item.like_count),
    attrs: { title: `${item.like_count} like${item.like_count === 1 ? "" : "s"}` },
  });
  open.addEventListener("click", () => {
    openImage(item.image_id, {
      me: getMe(),
      onChange: (image) => {
        if (typeof image.like_count === "number") {
          likes.textContent = likesText(image.like_count);
          likes.classList.toggle("is-liked", Boolean(image.liked_by_you));
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
  meta.append(likes);
  li.append(open, meta, el("p", { className: "feed-prompt", text: item.prompt }));
  if (item.visibility === "private") li.append(visibilityBadge("private"));
  return li;
}

function summary() {
  const order = feed.sort === "top" ? "Most liked this week" : "Newest first";
  return feed.q ? `${order} · prompts matching “${feed.q}”` : order;
}

export async function loadFeed(reset) {
  if (reset) {
    feed.generation += 1;
    feed.cursor = null;
    feed.loading = false;
  } else if (feed.loading || !feed.cursor) {
    return;
  }
  const generation = feed.generation;
  feed.loading = true;
  clearError($("feed-error"));
  const params = new URLSearchParams({ sort: feed.sort, limit: String(PAGE_SIZE) });
  if (feed.q) params.set("q", feed.q);
  if (!reset && feed.cursor) params.set("cursor", feed.cursor);
  try {
    const page = await api(`/api/v1/feed?${params}`);
    if (generation !== feed.generation) return;
    const cards = page.items.map((item) => feedCard(item, { getMe: feed.getMe }));
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
  $("feed-more").addEventListener("click", () => loadFeed(false));
  onSentinel($("feed-sentinel"), () => {
    if (!$("feed-view").hidden) loadFeed(false);
  });
}
