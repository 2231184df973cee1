"""What a custom model may be trained on: each refusal names the field, before anything is stored."""

import io
import uuid

import pytest
from PIL import Image

from services.generation.custom_model_uploads import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    check_count,
    check_image_ids,
    check_name,
    check_upload,
    check_uploads,
)
from services.generation.requests import InvalidRequest


def encoded(kind: str, size: tuple[int, int] = (80, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format=kind)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_png_jpeg_and_webp_are_read_from_their_bytes(kind, content_type):
    checked = check_upload(0, encoded(kind))
    assert (checked.content_type, checked.width, checked.height) == (content_type, 80, 64)


def test_another_format_is_refused_naming_the_image_whatever_its_name():
    with pytest.raises(InvalidRequest, match=r"images\[2\]: is a GIF image; send PNG, JPEG or WebP") as refused:
        check_upload(2, encoded("GIF"))
    assert refused.value.field == "images[2]"


def test_bytes_that_are_no_image_are_refused():
    with pytest.raises(InvalidRequest, match=r"images\[0\]: is not a PNG, JPEG or WebP image"):
        check_upload(0, b"\x89PNG\r\n\x1a\nnot really")


def test_a_truncated_image_is_refused_here_not_in_the_training_job():
    with pytest.raises(InvalidRequest, match=r"images\[1\]: is not a PNG, JPEG or WebP image"):
        check_upload(1, encoded("PNG", (300, 300))[:200])


@pytest.mark.parametrize("size", [(63, 200), (200, 40), (4097, 64)])
def test_sides_outside_64_to_4096_px_are_refused(size):
    with pytest.raises(InvalidRequest, match=r"images\[3\]: is \d+x\d+ px; each side must be 64 to 4096 px"):
        check_upload(3, encoded("PNG", size))


def test_a_file_over_the_size_limit_is_refused_before_it_is_decoded():
    with pytest.raises(InvalidRequest, match=r"images\[4\]: is 10.0 MB; each image may be at most 10.0 MB"):
        check_upload(4, b"\0" * (MAX_FILE_BYTES + 1))


def test_the_total_size_is_limited():
    many = [b"\0" * (MAX_FILE_BYTES - 1)] * (MAX_TOTAL_BYTES // MAX_FILE_BYTES + 1)
    with pytest.raises(InvalidRequest, match="images: are .* MB in all; at most 50.0 MB"):
        check_uploads(many)


@pytest.mark.parametrize("count", [0, 4, 31])
def test_a_style_needs_5_to_30_images(count):
    with pytest.raises(InvalidRequest, match=f"images: a style needs 5 to 30 images \\(got {count}\\)"):
        check_count(count, has_uploads=True, has_image_ids=False)
    with pytest.raises(InvalidRequest, match="image_ids: a style needs"):
        check_count(count, has_uploads=False, has_image_ids=True)
    check_count(5, has_uploads=True, has_image_ids=False)
    check_count(30, has_uploads=False, has_image_ids=True)


def test_uploads_and_picked_creations_are_not_mixed():
    with pytest.raises(InvalidRequest, match="not both"):
        check_count(10, has_uploads=True, has_image_ids=True)


def test_image_ids_must_be_ids_and_distinct():
    first = str(uuid.uuid4())
    with pytest.raises(InvalidRequest, match=r"image_ids\[1\]: must be an image id"):
        check_image_ids([first, "../etc"])
    with pytest.raises(InvalidRequest, match=r"image_ids\[1\]: names an image twice"):
        check_image_ids([first, first.upper()])


def test_the_name_is_required_and_short():
    assert check_name("  my   watercolours ") == "my watercolours"
    with pytest.raises(InvalidRequest, match="name: must not be empty"):
        check_name("   ")
    with pytest.raises(InvalidRequest, match="name: must be at most 80 characters"):
        check_name("x" * 81)
    with pytest.raises(InvalidRequest, match="name: must be printable text"):
        check_name("nul\x00name")
