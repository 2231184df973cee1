"""An image action is charged the catalogue's price, never what the caller names."""

from types import SimpleNamespace

import pytest

from atelier.billing.v1 import billing_pb2 as pb
from services.billing.catalogue import load_catalogue
from services.billing.handlers import BillingServicer
from services.billing.operations import InvalidArgument

SERVICER = BillingServicer(SimpleNamespace(catalogue=load_catalogue()), payments=None)  # type: ignore[arg-type]


def test_an_action_costs_its_catalogue_price_and_a_generation_what_it_asks():
    assert SERVICER._amount_of(pb.ReserveCreditsRequest(action="upscale")) == 1
    assert SERVICER._amount_of(pb.ReserveCreditsRequest(action="describe")) == 1
    assert SERVICER._amount_of(pb.ReserveCreditsRequest(amount=4)) == 4


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (pb.ReserveCreditsRequest(action="upscale", amount=1), "amount: must be 0 for an action"),
        (pb.ReserveCreditsRequest(action="teleport"), "action: 'teleport' has no price in the plan catalogue"),
    ],
)
def test_an_action_with_an_amount_or_without_a_price_is_refused(request_, words):
    with pytest.raises(InvalidArgument, match=words):
        SERVICER._amount_of(request_)
