"""The editor's request body: ranges are a 422 that names the field, before anything reaches the wire."""

import pytest
from pydantic import ValidationError

from services.gateway.api.editing import EditCreate, operations_to_proto


def test_a_crop_past_any_image_is_refused_by_name_and_never_overflows_the_wire():
    with pytest.raises(ValidationError, match="width"):
        EditCreate.model_validate({"operations": [{"op": "crop", "x": 0, "y": 0, "width": 2**62, "height": 8}]})
    body = EditCreate.model_validate({"operations": [{"op": "crop", "x": 4096, "y": 0, "width": 4096, "height": 1}]})
    [message] = operations_to_proto(body.operations)
    assert (message.crop.x, message.crop.width) == (4096, 4096)


def test_factors_outside_a_quarter_to_double_are_refused():
    with pytest.raises(ValidationError, match="factor"):
        EditCreate.model_validate({"operations": [{"op": "brightness", "factor": 3}]})
