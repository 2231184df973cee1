"""The share page's HTML: the app's one page with Open Graph and Twitter card tags in its head, so
that a link pasted in a chat app shows a preview. Every value is HTML-escaped (a prompt is user
text); the page without tags is byte for byte the app's page."""

from __future__ import annotations

from html import escape
from pathlib import Path

from services.gateway.api.share_preview import SharePreview

HEAD_END = "</head>"


def _meta(attribute: str, name: str, content: str) -> str:
    return f'  <meta {attribute}="{name}" content="{escape(content, quote=True)}">\n'


def preview_tags(preview: SharePreview, page_url: str, base_url: str) -> str:
    image_url = f"{base_url}{preview.image_path}"
    tags = [
        _meta("property", "og:type", "website"),
        _meta("property", "og:site_name", "Atelier"),
        _meta("property", "og:title", preview.title),
        _meta("property", "og:description", preview.description),
        _meta("property", "og:url", page_url),
        _meta("property", "og:image", image_url),
        _meta("property", "og:image:width", str(preview.width)),
        _meta("property", "og:image:height", str(preview.height)),
        _meta("name", "twitter:card", "summary_large_image"),
        _meta("name", "twitter:title", preview.title),
        _meta("name", "twitter:description", preview.description),
        _meta("name", "twitter:image", image_url),
    ]
    return "".join(tags)


def with_preview(page: str, preview: SharePreview, page_url: str, base_url: str) -> str:
    head, end, rest = page.partition(HEAD_END)
    if not end:
        raise ValueError(f"the page has no {HEAD_END}")
    return f"{head}{preview_tags(preview, page_url, base_url)}{end}{rest}"


def read_page(path: Path) -> str:
    return path.read_text(encoding="utf-8")
