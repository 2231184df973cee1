"""The plan catalogue: loaded from a TOML file (plans.toml) and validated at start-up."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PLANS_FILE = Path(__file__).parent / "plans.toml"
FREE = "free"

# The entitlement names other services rely on (ARCHITECTURE.md §4). A catalogue naming any
# other entitlement is refused: a typo would silently take a feature away from paying users.
PRIVATE_GENERATION = "private_generation"
DOWNLOAD_PNG = "download_png"
UPSCALE = "upscale"
EDIT = "edit"
DELETE_GENERATION = "delete_generation"
TEAMS = "teams"
CUSTOM_MODELS = "custom_models"
KNOWN_ENTITLEMENTS = frozenset(
    {PRIVATE_GENERATION, DOWNLOAD_PNG, UPSCALE, EDIT, DELETE_GENERATION, TEAMS, CUSTOM_MODELS}
)

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_PLAN_KEYS = {"name", "display_name", "monthly_credits", "max_concurrent_generations", "entitlements"}
ACTION_PRICES = "action_prices"
_OPTIONAL_PLAN_KEYS = {"monthly_price_cents", "training_use", "per_seat"}
TERMS_VERSION = "terms_version"
DEFAULT_TERMS_VERSION = "1"
_CURRENCY = re.compile(r"^[a-z]{3}$")
DEFAULT_CURRENCY = "usd"


class CatalogueError(ValueError):
    """The plan catalogue is invalid; the message says where."""


@dataclass(frozen=True)
class Plan:
    name: str
    display_name: str
    monthly_credits: int
    max_concurrent_generations: int
    entitlements: tuple[str, ...]
    # A month's price in the currency's smallest unit; 0: not sold (the free plan).
    monthly_price_cents: int = 0
    # Whether the plan's terms let its users' public images be part of a training-data export
    # (ARCHITECTURE.md P7). Absent from the file: False, the privacy-safe default.
    training_use: bool = False
    # Credits and concurrency are per seat: times the members of the teams the account owns.
    per_seat: bool = False

    def credits_for(self, seats: int) -> int:
        return self.monthly_credits * self._seats(seats)

    def concurrency_for(self, seats: int) -> int:
        return self.max_concurrent_generations * self._seats(seats)

    def _seats(self, seats: int) -> int:
        # An owner with no team yet (or a plan not sold per seat) counts as one seat.
        return max(1, seats) if self.per_seat else 1

    @property
    def is_paid(self) -> bool:
        return self.name != FREE

    @property
    def for_sale(self) -> bool:
        return self.is_paid and self.monthly_price_cents > 0


class Catalogue:
    def __init__(
        self,
        plans: list[Plan],
        action_prices: dict[str, int] | None = None,
        currency: str = DEFAULT_CURRENCY,
        terms_version: str = DEFAULT_TERMS_VERSION,
    ):
        self.plans = tuple(plans)
        self.currency = currency
        # The version of the plans' terms, recorded with every exported image's licence.
        self.terms_version = terms_version
        self._by_name = {plan.name: plan for plan in plans}
        # Credits one image action costs (the generation service's job kinds: "upscale", ...).
        self.action_prices = dict(action_prices or {})

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Plan:
        """The plan by name; KeyError for names not in the catalogue."""
        return self._by_name[name]

    @property
    def free(self) -> Plan:
        return self._by_name[FREE]

    @property
    def names(self) -> list[str]:
        return [plan.name for plan in self.plans]


def _int(value: object, where: str, minimum: int) -> int:
    # bool is an int in Python; `monthly_credits = true` is a mistake, not 1.
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise CatalogueError(f"{where}: must be an integer >= {minimum}, got {value!r}")
    return value


def parse_catalogue(data: dict[str, Any]) -> Catalogue:
    raw_plans = data.get("plans")
    if not isinstance(raw_plans, list) or not raw_plans:
        raise CatalogueError("the catalogue needs at least one [[plans]] table")
    unknown_top = set(data) - {"plans", "currency", ACTION_PRICES, TERMS_VERSION}
    if unknown_top:
        raise CatalogueError(f"unknown top-level keys: {sorted(unknown_top)}")
    currency = data.get("currency", DEFAULT_CURRENCY)
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise CatalogueError(f"currency: must be a lower-case ISO 4217 code such as 'usd', got {currency!r}")
    terms_version = data.get(TERMS_VERSION, DEFAULT_TERMS_VERSION)
    if not isinstance(terms_version, str) or not terms_version.strip():
        raise CatalogueError(f"{TERMS_VERSION}: must be a non-empty string such as '2026-12-01', got {terms_version!r}")
    plans: list[Plan] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_plans):
        where = f"plans[{index}]"
        if not isinstance(raw, dict):
            raise CatalogueError(f"{where}: must be a table")
        missing = _PLAN_KEYS - set(raw)
        if missing:
            raise CatalogueError(f"{where}: missing {sorted(missing)}")
        extra = set(raw) - _PLAN_KEYS - _OPTIONAL_PLAN_KEYS
        if extra:
            raise CatalogueError(f"{where}: unknown keys {sorted(extra)}")
        name = raw["name"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise CatalogueError(f"{where}.name: must be a lower-case identifier, got {name!r}")
        where = f"plan {name!r}"
        if name in seen:
            raise CatalogueError(f"{where}: defined twice")
        seen.add(name)
        display_name = raw["display_name"]
        if not isinstance(display_name, str) or not display_name.strip():
            raise CatalogueError(f"{where}.display_name: must be a non-empty string")
        entitlements = raw["entitlements"]
        if not isinstance(entitlements, list) or not all(isinstance(e, str) for e in entitlements):
            raise CatalogueError(f"{where}.entitlements: must be a list of strings")
        training_use = raw.get("training_use", False)
        if not isinstance(training_use, bool):
            raise CatalogueError(f"{where}.training_use: must be true or false, got {training_use!r}")
        unknown = sorted(set(entitlements) - KNOWN_ENTITLEMENTS)
        if unknown:
            raise CatalogueError(f"{where}.entitlements: unknown {unknown}; known: {sorted(KNOWN_ENTITLEMENTS)}")
        if len(set(entitlements)) != len(entitlements):
            raise CatalogueError(f"{where}.entitlements: listed twice")
        plans.append(
            Plan(
                name=name,
                display_name=display_name,
                monthly_credits=_int(raw["monthly_credits"], f"{where}.monthly_credits", 0),
                max_concurrent_generations=_int(
                    raw["max_concurrent_generations"], f"{where}.max_concurrent_generations", 1
                ),
                entitlements=tuple(entitlements),
                monthly_price_cents=_int(raw.get("monthly_price_cents", 0), f"{where}.monthly_price_cents", 0),
                training_use=training_use,
                per_seat=_bool(raw.get("per_seat", False), f"{where}.per_seat"),
            )
        )
        if name == FREE and plans[-1].monthly_price_cents:
            raise CatalogueError(f"{where}.monthly_price_cents: the free plan costs nothing")
    if FREE not in seen:
        raise CatalogueError(f"the catalogue needs a {FREE!r} plan: it is in force for new and lapsed accounts")
    return Catalogue(plans, _action_prices(data.get(ACTION_PRICES, {})), currency, terms_version)


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise CatalogueError(f"{where}: must be true or false, got {value!r}")
    return value


def _action_prices(raw: object) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{ACTION_PRICES}: must be a table of action = credits")
    prices = {}
    for action, price in raw.items():
        if not _NAME.match(action):
            raise CatalogueError(f"{ACTION_PRICES}: {action!r} is not a lower-case identifier")
        prices[action] = _int(price, f"{ACTION_PRICES}.{action}", 1)
    return prices


def load_catalogue(path: Path = DEFAULT_PLANS_FILE) -> Catalogue:
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise CatalogueError(f"cannot read the plan catalogue {path}: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{path} is not valid TOML: {error}") from error
    try:
        return parse_catalogue(data)
    except CatalogueError as error:
        raise CatalogueError(f"{path}: {error}") from error
