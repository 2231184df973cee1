import pytest

from atelier.generation.v1 import events_pb2
from glue.events import UndecodableEvent, make_envelope, open_envelope


def test_an_envelope_round_trips_its_event_and_trace_context():
    event = events_pb2.GenerationFailed(generation_id="g1", owner_id="u1", reason="boom")
    envelope = make_envelope(event, {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"})
    opened, payload = open_envelope(envelope.SerializeToString(), events_pb2.GenerationFailed)
    assert payload == event
    assert opened.event_id == envelope.event_id
    assert opened.traceparent.startswith("00-aaaa")
    assert opened.occurred_at.seconds > 0


def test_each_envelope_has_its_own_event_id():
    event = events_pb2.GenerationFailed(generation_id="g1")
    assert make_envelope(event, {}).event_id != make_envelope(event, {}).event_id


@pytest.mark.parametrize("data", [b"\xff\xfe not protobuf", b""])
def test_garbage_is_reported_as_undecodable(data):
    with pytest.raises(UndecodableEvent):
        open_envelope(data, events_pb2.GenerationRequested)


def test_an_envelope_holding_another_event_type_is_undecodable():
    envelope = make_envelope(events_pb2.GenerationFailed(generation_id="g1"), {})
    with pytest.raises(UndecodableEvent, match="GenerationRequested"):
        open_envelope(envelope.SerializeToString(), events_pb2.GenerationRequested)
