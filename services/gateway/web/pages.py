"""The web UI: one HTML page plus its ES module and stylesheet (no build step)."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

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


@router.get("/i/{image_id}")
async def shared_image(image_id: str) -> FileResponse:
    """A share link: the same page for every id (it says nothing by itself); the page then asks
    the API for the image, which answers 404 to anyone who may not see it."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_SECURITY_HEADERS)


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
