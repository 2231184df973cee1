"""The one reading of ids (glue/ids.py) and of visibility names (clients/visibility.py) every route
and client uses."""

import uuid

import pytest

from atelier.common.v1 import visibility_pb2
from glue.ids import canonical_uuid, parse_uuid
from services.gateway.clients.visibility import SCOPE_BY_NAME, VISIBILITY_BY_NAME, visibility_name

ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize("written", [ID, ID.upper(), "{" + ID + "}", ID.replace("-", "")])
def test_an_id_is_read_in_any_uuid_spelling_and_given_on_canonically(written: str) -> None:
    assert canonical_uuid(written) == ID
    assert parse_uuid(written) == uuid.UUID(ID)


@pytest.mark.parametrize("written", ["", "42", "not-an-id", ID + "0", "*", ">"])
def test_anything_else_is_no_id(written: str) -> None:
    assert canonical_uuid(written) is None
    assert parse_uuid(written) is None


def test_visibility_names_go_to_the_enum_and_back() -> None:
    for name, value in VISIBILITY_BY_NAME.items():
        assert visibility_name(value) == name


@pytest.mark.parametrize("value", [visibility_pb2.VISIBILITY_UNSPECIFIED, 99])
def test_a_visibility_not_known_to_be_public_is_shown_private(value: int) -> None:
    assert visibility_name(value) == "private"


def test_a_team_image_is_named_team_and_a_team_can_be_asked_for_in_a_change() -> None:
    assert visibility_name(visibility_pb2.VISIBILITY_TEAM) == "team"
    assert SCOPE_BY_NAME["team"] == visibility_pb2.VISIBILITY_TEAM
    assert "team" not in VISIBILITY_BY_NAME  # never at submit
