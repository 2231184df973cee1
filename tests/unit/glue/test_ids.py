import uuid

import pytest

from glue.ids import parse_uuid


def test_a_uuid_in_any_usual_spelling_is_read():
    value = uuid.uuid4()
    assert parse_uuid(str(value)) == parse_uuid(str(value).upper()) == parse_uuid(value.hex) == value


@pytest.mark.parametrize("text", ["", "nope", "../../etc/passwd", "atelier.>", "*", str(uuid.uuid4())[:-1]])
def test_text_that_spells_no_uuid_names_nothing(text):
    assert parse_uuid(text) is None
