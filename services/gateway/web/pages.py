"""The web UI: one HTML page plus its ES module and stylesheet (no build step)."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from glue.ids import canonical_uuid
from services.gateway.api.share_preview import public_preview
from services.gateway.auth.security import MaybeCaller
from services.gateway.dependencies import deps_of
from services.gateway.problems import Problem
from services.gateway.web.share_page import read_page, with_preview

STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter(include_in_schema=False)

# The page loads only its own script, style and images (data: for live previews); nothing may frame it.
PAGE_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-cache",
}


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_SECURITY_HEADERS)


# A share page names an image; whether it may be shown is decided per request, so no cache keeps it.
SHARE_PAGE_HEADERS = {**PAGE_SECURITY_HEADERS, "Cache-Control": "private, no-store"}


def _page(status_code: int, body: str | None = None) -> Response:
    content = body if body is not None else read_page(STATIC_DIR / "index.html")
    return Response(
        content.encode("utf-8"), status_code=status_code, media_type="text/html", headers=SHARE_PAGE_HEADERS
    )


@router.get("/i/{image_id}")
async def shared_image(image_id: str, caller: MaybeCaller, request: Request) -> Response:
    """A share link. A public image: the app's page with Open Graph / Twitter card tags (title,
    the prompt where its recipe is public, an absolute URL of the public bytes). A private, deleted,
    unknown or malformed id: the app's page untouched with status 404, byte for byte the same for
    all of them. The owner of a private image gets the untouched page with 200 (the app then shows
    the image to the owner only, through the API); never any tags."""
    deps = deps_of(request)
    canonical = canonical_uuid(image_id)
    try:
        preview = await public_preview(image_id, deps)
        if preview is not None:
            base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
            page = read_page(STATIC_DIR / "index.html")
            return _page(200, with_preview(page, preview, f"{base}/i/{canonical}", base))
        if caller is not None and canonical is not None:
            if canonical in await deps.visibility.authorize(caller.user_id, [canonical]):
                return _page(200)
    except Problem as problem:  # the authority unreachable: the same answer for every id (P3)
        return _page(problem.status if problem.status >= 500 else 404)
    return _page(404)


@router.get("/u/{username}")
async def profile_page(username: str) -> FileResponse:
    """The same static page for every name; the page asks the API for the profile."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_SECURITY_HEADERS)


@router.get("/pricing")
@router.get("/billing")
async def billing_pages() -> FileResponse:
    """The pricing page (signed in or not) and the billing page: the same static page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_SECURITY_HEADERS)


@router.get("/billing/standin/{session_id}")
async def standin_page(session_id: str) -> FileResponse:
    """The stand-in payment provider's page (development only); the page asks the API for the
    session, which answers 404 unless it is the signed-in user's."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_SECURITY_HEADERS)
