"""The contracts every service shares: visibility names ↔ protobuf, and the progress subject."""

import uuid

import pytest

from atelier.common.v1 import visibility_pb2
from contracts.common import (
    PRIVATE,
    PUBLIC,
    SCOPE_FROM_PROTO,
    SCOPE_TO_PROTO,
    TEAM,
    VISIBILITY_FROM_PROTO,
    VISIBILITY_TO_PROTO,
)
from contracts.generation import progress_subject


def test_every_visibility_a_message_can_name_has_one_name_and_back():
    named = {value for value in visibility_pb2.Visibility.values() if value != visibility_pb2.VISIBILITY_UNSPECIFIED}
    assert set(SCOPE_FROM_PROTO) == named
    assert {SCOPE_FROM_PROTO[SCOPE_TO_PROTO[name]] for name in (PUBLIC, PRIVATE, TEAM)} == {PUBLIC, PRIVATE, TEAM}
    # A generation is born public or private: TEAM is the authority's alone.
    assert set(VISIBILITY_FROM_PROTO) == named - {visibility_pb2.VISIBILITY_TEAM}
    assert {VISIBILITY_FROM_PROTO[VISIBILITY_TO_PROTO[name]] for name in (PUBLIC, PRIVATE)} == {PUBLIC, PRIVATE}
    assert VISIBILITY_TO_PROTO[PRIVATE] == visibility_pb2.VISIBILITY_PRIVATE


@pytest.mark.parametrize("value", [visibility_pb2.VISIBILITY_UNSPECIFIED, 7])
def test_an_unspecified_or_unknown_visibility_has_no_name_so_it_is_never_taken_for_public(value):
    assert VISIBILITY_FROM_PROTO.get(value) is None


def test_the_mappings_cannot_be_changed_by_a_caller():
    with pytest.raises(TypeError):
        VISIBILITY_FROM_PROTO[visibility_pb2.VISIBILITY_UNSPECIFIED] = PUBLIC  # type: ignore[index]


@pytest.mark.parametrize("generation_id", ["*", ">", "a.>", "", "not-a-uuid"])
def test_the_progress_subject_is_one_generation_never_a_wildcard(generation_id):
    with pytest.raises(ValueError):
        progress_subject(generation_id)


def test_the_progress_subject_names_the_generation_in_canonical_form():
    generation_id = uuid.uuid4()
    assert progress_subject(str(generation_id).upper()) == f"atelier.progress.{generation_id}"
