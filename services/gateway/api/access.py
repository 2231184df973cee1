"""Who may read an image, decided by the visibility authority at the moment of each request (P1),
and who may read a generation (its owner alone).

Every image route goes through `visible_image`: the id is parsed, the authority is asked whether
this viewer (anonymous included) may see it, and only then is anything about the image fetched.
Another user's private image, an unknown id, a malformed one and a deleted image all raise the
very same problem (`image_not_found`): same status, same body apart from the path, same headers —
nobody can tell them apart. The authority unreachable: 503 for every id alike (P3, fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from atelier.generation.v1 import generation_pb2
from glue.ids import canonical_uuid
from services.gateway.auth.security import Caller
from services.gateway.clients.generation import GenerationClient
from services.gateway.clients.visibility import IMAGE_NOT_FOUND, VisibilityClient
from services.gateway.problems import Problem, not_found

PRIVATE_NO_STORE = "private, no-store"
# Public image bytes may be kept by shared caches this long (P2: "at most a short max-age").
# A private image's bytes may therefore still be served by a shared cache (never by Atelier)
# for up to this many seconds after it was made private, to someone who could have fetched it
# while it was public. Documented in the gateway README and the OpenAPI description.
PUBLIC_MAX_AGE_S = 30
PUBLIC_CACHE_CONTROL = f"public, max-age={PUBLIC_MAX_AGE_S}"
# The bytes of one URL differ by the viewer's plan (PNG or JPG), so shared caches must keep one
# copy per credential; anonymous requests (no cookie, no key) share one.
PUBLIC_VARY = "Authorization, Cookie"


# What a route's `responses=` documents, as FastAPI types it: status → OpenAPI response object.
OpenApiResponses = dict[int | str, dict[str, Any]]

# How every image endpoint documents its one 404.
NOT_FOUND_RESPONSE: OpenApiResponses = {
    404: {
        "description": "no such image visible to you: another user's private image, a deleted "
        "one and an unknown id answer exactly alike"
    }
}
GENERATION = "Generation"


def image_not_found() -> Problem:
    return Problem(404, IMAGE_NOT_FOUND)


@dataclass(frozen=True)
class VisibleImage:
    image: generation_pb2.Image
    # The authority's current visibility.
    visibility: str
    is_owner: bool
    # The owner's view of a team image: which team.
    team_id: str = ""


async def visible_image(
    image_id: str, caller: Caller | None, authority: VisibilityClient, generations: GenerationClient
) -> VisibleImage:
    canonical = canonical_uuid(image_id)
    if canonical is None:
        raise image_not_found()
    viewer_id = caller.user_id if caller is not None else ""
    decided = await authority.authorize_scoped(viewer_id, [canonical])
    if canonical not in decided.allowed:
        raise image_not_found()
    image = await generations.image(canonical, viewer_id)
    if image is None:
        raise image_not_found()
    if caller is not None and image.owner_id == caller.user_id:
        state = (await authority.current(caller.user_id, [canonical])).get(canonical)
        if state is None:  # deleted between the two questions
            raise image_not_found()
        return VisibleImage(image, state.visibility, True, state.team_id)
    # A non-owner is allowed public images, and team images as a current member. The authority's
    # answer is never read as more than that: anything it does not call a team image is public.
    return VisibleImage(image, "team" if canonical in decided.through_team else "public", False)


async def own_generation(
    generation_id: str, caller: Caller | None, generations: GenerationClient
) -> generation_pb2.Generation:
    """The caller's generation; 404 (exactly as for an id that does not exist) for anyone else."""
    if caller is None:
        raise not_found(GENERATION)
    canonical_id = canonical_uuid(generation_id)
    if canonical_id is None:
        raise not_found(GENERATION)
    generation = await generations.get(canonical_id, caller.user_id)
    # The service already answers NOT_FOUND to non-owners; checked again because a wrong answer
    # here would be a leak.
    if generation.owner_id != caller.user_id:
        raise not_found(GENERATION)
    return generation


async def current_visibility(authority: VisibilityClient, owner_id: str, image_ids: Iterable[str]) -> Mapping[str, str]:
    """image id → current visibility of the owner's own images (absent: not known, shown private)."""
    ids = list(image_ids)
    if not ids:
        return {}
    return {image_id: state.visibility for image_id, state in (await authority.current(owner_id, ids)).items()}


async def current_for_generations(
    authority: VisibilityClient, owner_id: str, generations: Iterable[generation_pb2.Generation]
) -> Mapping[str, str]:
    """The current visibility of the generations' images and of their remix sources and style
    references the owner may still see (lineage is shown only while the source is visible: a source
    absent from the answer is not shown)."""
    generations = list(generations)
    current = dict(await current_visibility(authority, owner_id, (i.image_id for g in generations for i in g.images)))
    linked = {image_id for g in generations for image_id in (g.params.source_image_id, g.params.style_image_id)}
    sources = sorted(linked - {""} - current.keys())
    if sources:
        decided = await authority.authorize_scoped(owner_id, sources)
        own = await current_visibility(authority, owner_id, sorted(decided.allowed))
        # Allowed and not the owner's: public, or team when seen through a team.
        current.update(
            {
                source: own.get(source, "team" if source in decided.through_team else "public")
                for source in decided.allowed
            }
        )
    return current
