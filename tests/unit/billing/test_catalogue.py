"""The plan catalogue is data, validated when the service starts."""

import copy
import tomllib

import pytest

from services.billing.catalogue import DEFAULT_PLANS_FILE, CatalogueError, load_catalogue, parse_catalogue

RAW = tomllib.loads(DEFAULT_PLANS_FILE.read_text())


def test_the_shipped_catalogue_has_the_five_plans_of_the_architecture():
    catalogue = load_catalogue()
    assert catalogue.names == ["free", "basic", "plus", "pro", "team"]
    figures = {p.name: (p.max_concurrent_generations, p.monthly_credits) for p in catalogue.plans}
    assert figures == {"free": (1, 25), "basic": (2, 400), "plus": (4, 1000), "pro": (8, 3000), "team": (8, 10000)}
    assert catalogue.get("free").entitlements == ()
    assert set(catalogue.get("basic").entitlements) == {
        "download_png",
        "upscale",
        "edit",
        "delete_generation",
        "custom_models",
    }
    for paid in ("plus", "pro", "team"):
        assert set(catalogue.get(paid).entitlements) - {"teams"} == {
            "private_generation",
            "download_png",
            "upscale",
            "edit",
            "delete_generation",
            "custom_models",
        }
    # Only the Team plan creates teams.
    assert [p.name for p in catalogue.plans if "teams" in p.entitlements] == ["team"]


def test_the_shipped_catalogue_prices_the_image_actions():
    assert load_catalogue().action_prices == {
        "upscale": 1,
        "describe": 1,
        "remove_background": 1,
        "fill": 1,
        "extend": 1,
        "edit": 1,
        "replace_background": 1,
        "train_style": 20,
    }


def broken(edit) -> dict:
    data = copy.deepcopy(RAW)
    edit(data)
    return data


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (lambda d: d["plans"].pop(0), "'free' plan"),
        (lambda d: d["plans"][1]["entitlements"].append("private_generations"), "unknown ['private_generations']"),
        (lambda d: d["plans"][1].update(monthly_credits=-1), "monthly_credits"),
        (lambda d: d["plans"][1].update(monthly_credits=True), "monthly_credits"),
        (lambda d: d["plans"][1].update(max_concurrent_generations=0), "max_concurrent_generations"),
        (lambda d: d["plans"].append(copy.deepcopy(d["plans"][2])), "defined twice"),
        (lambda d: d["plans"][2].pop("display_name"), "missing ['display_name']"),
        (lambda d: d["plans"][2].update(price=9), "unknown keys ['price']"),
        (lambda d: d["plans"][2].update(name="Plus Plan"), "lower-case identifier"),
        (lambda d: d["plans"][2].update(entitlements=["edit", "edit"]), "listed twice"),
        (lambda d: d.update(plans=[]), "at least one"),
        (lambda d: d["action_prices"].update(upscale=0), "action_prices.upscale"),
        (lambda d: d["action_prices"].update({"Up Scale": 1}), "not a lower-case identifier"),
        (lambda d: d.update(action_prices=3), "action_prices: must be a table"),
    ],
)
def test_a_bad_catalogue_is_refused_with_the_reason(edit, complaint):
    with pytest.raises(CatalogueError, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        parse_catalogue(broken(edit))


def test_an_unreadable_file_names_the_file(tmp_path):
    path = tmp_path / "plans.toml"
    path.write_text("[[plans]\n")
    with pytest.raises(CatalogueError, match="plans.toml is not valid TOML"):
        load_catalogue(path)


def test_the_team_plan_counts_credits_and_concurrency_per_seat():
    team = load_catalogue().get("team")
    assert team.per_seat
    assert (team.credits_for(5), team.concurrency_for(5)) == (
        5 * team.monthly_credits,
        5 * team.max_concurrent_generations,
    )
    # An owner with no team yet has one seat; a plan not sold per seat ignores seats.
    assert (team.credits_for(0), team.concurrency_for(0)) == (team.monthly_credits, team.max_concurrent_generations)
    plus = load_catalogue().get("plus")
    assert (plus.credits_for(5), plus.concurrency_for(5)) == (plus.monthly_credits, plus.max_concurrent_generations)


def test_per_seat_must_be_a_boolean():
    data = broken(lambda d: d["plans"][4].update(per_seat="yes"))
    with pytest.raises(CatalogueError, match="per_seat"):
        parse_catalogue(data)
