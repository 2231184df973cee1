"""The feed's merge rule: a newer version always wins, a deleted image is never resurrected, events
about unknown images are remembered, and neither order nor duplicates change the outcome (P5).

The properties draw as many examples as the Hypothesis profile says: 100 (Hypothesis' default) in a
quick run, 500 in `./atelierctl test`, the whole run CI makes (the `thorough` profile,
tests/conftest.py)."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.feed.projection import (
    EMPTY,
    Deleted,
    ImageReady,
    ImageState,
    Visibility,
    VisibilitySet,
    apply,
    fold,
)

PUBLIC, PRIVATE = Visibility.PUBLIC, Visibility.PRIVATE
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ready(visibility=PUBLIC, version=1, prompt="a red circle", owner="alice", at=T0):
    return ImageReady(
        owner_id=owner, prompt=prompt, width=512, height=512, created_at=at, visibility=visibility, version=version
    )


def test_images_ready_makes_a_public_image_listed():
    state = apply(EMPTY, ready())
    assert state.known and state.listed
    assert (state.owner_id, state.prompt, state.version, state.visibility) == ("alice", "a red circle", 1, PUBLIC)


def test_a_private_generation_is_known_but_not_listed():
    state = apply(EMPTY, ready(PRIVATE))
    assert state.known and not state.listed


def test_a_newer_version_wins_and_an_older_one_is_ignored():
    state = fold([ready(), VisibilitySet(PRIVATE, 2)])
    assert not state.listed and state.version == 2
    assert fold([VisibilitySet(PUBLIC, 1)], state) == state
    state = apply(state, VisibilitySet(PUBLIC, 3))
    assert state.listed and state.version == 3


def test_visibility_changed_before_images_ready_is_remembered():
    early = apply(EMPTY, VisibilitySet(PRIVATE, 2))
    assert not early.known and early.version == 2 and not early.listed
    state = apply(early, ready(PUBLIC))
    assert state.known and state.version == 2 and state.visibility is PRIVATE and not state.listed


def test_images_ready_never_lowers_a_higher_version():
    state = fold([VisibilitySet(PUBLIC, 5), ready(PRIVATE)])
    assert state.version == 5 and state.visibility is PUBLIC and state.listed


def test_an_equal_version_is_ignored_unless_it_says_private():
    state = fold([ready(), VisibilitySet(PRIVATE, 2)])
    assert apply(state, VisibilitySet(PUBLIC, 2)) == state
    conflicting = fold([ready(), VisibilitySet(PUBLIC, 2), VisibilitySet(PRIVATE, 2)])
    assert conflicting.visibility is PRIVATE  # fail closed on input the authority never sends


def test_deletion_is_final_and_erases_the_prompt():
    state = fold([ready(), Deleted()])
    assert state.deleted and not state.listed and state.prompt == ""
    later = fold([VisibilitySet(PUBLIC, 7), ready(), Deleted(), ready()], state)
    assert later.deleted and not later.listed and later.prompt == ""


def test_deletion_before_images_ready_still_wins():
    state = fold([Deleted(), ready()])
    assert state.known and state.deleted and not state.listed and state.prompt == ""


def test_an_unspecified_image_is_private():
    assert EMPTY.visibility is PRIVATE and not EMPTY.listed


# ---------------------------------------------------------------- property: order and duplicates


# Strategies built once: one built per example (from the example's own events) costs Hypothesis
# more than the fold it tests, several seconds over the suite.
VISIBILITIES = st.sampled_from([PUBLIC, PRIVATE])
TOGGLES = st.lists(VISIBILITIES, max_size=6)
MAX_HISTORY = 8  # ImagesReady, six toggles, a delete
REPEATS = st.lists(st.integers(0, MAX_HISTORY - 1), max_size=2 * MAX_HISTORY)
ORDERS = st.randoms(use_true_random=False)


@st.composite
def histories(draw):
    """The events one image really causes: ImagesReady (v1), then toggles v2..vn, maybe a delete."""
    first = draw(VISIBILITIES)
    toggles = draw(TOGGLES)
    events = [ready(first)]
    events += [VisibilitySet(v, n) for n, v in enumerate(toggles, start=2)]
    if draw(st.booleans()):
        events.append(Deleted())
    return events


@st.composite
def deliveries(draw, events):
    """At-least-once, any order: every event at least once, some more than once, shuffled."""
    extra = [events[i % len(events)] for i in draw(REPEATS)[: 2 * len(events)]]
    delivered = events + extra
    draw(ORDERS).shuffle(delivered)
    return delivered


def canonical(events):
    """Sorted by version, deletion last, duplicates dropped: the order the authority meant."""

    def rank(e):
        return (1, 0) if isinstance(e, Deleted) else (0, e.version)

    return sorted(set(events), key=rank)


@settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_shuffle_and_duplication_of_an_image_history_ends_in_the_same_state(data):
    history = data.draw(histories())
    delivered = data.draw(deliveries(history))
    expected = fold(canonical(history))
    assert fold(delivered) == expected
    # The state the authority meant: the last toggle (or the initial visibility) wins, a delete is final.
    last = history[-1] if not isinstance(history[-1], Deleted) else history[-2]
    assert expected.listed == (last.visibility is PUBLIC and not isinstance(history[-1], Deleted))


@settings(deadline=None, database=None)
@given(st.data())
def test_along_any_delivery_order_versions_never_go_down_and_a_delete_is_never_undone(data):
    delivered = data.draw(deliveries(data.draw(histories())))
    state: ImageState = EMPTY
    deleted_seen = False
    for event in delivered:
        after = apply(state, event)
        assert after.version >= state.version
        deleted_seen = deleted_seen or isinstance(event, Deleted)
        if deleted_seen:
            assert after.deleted and not after.listed and after.prompt == ""
        state = after


# Every event the fields below can make, listed once: one draw picks an event, where building one
# drew each field (seven draws an event, most of the test's time).
ANY_READY = [
    ImageReady(owner, prompt, width, height, at, visibility, version)
    for owner, prompt, width, height, at, visibility, version in itertools.product(
        ["alice", "bob"],
        ["a red circle", "a blue square", ""],
        [256, 512],
        [256, 512],
        [T0, T0 + timedelta(seconds=1)],
        [PUBLIC, PRIVATE],
        range(5),
    )
]
ANY_VISIBILITY_SET = [
    VisibilitySet(visibility, version, prompt)
    for visibility, version, prompt in itertools.product(
        [PUBLIC, PRIVATE], range(1, 5), ["a red circle", "a blue square", ""]
    )
]
arbitrary_events = st.one_of(st.sampled_from(ANY_READY), st.sampled_from(ANY_VISIBILITY_SET), st.just(Deleted()))


@settings(deadline=None, database=None)
@given(st.lists(arbitrary_events, max_size=10), st.randoms(use_true_random=False))
def test_the_rule_is_order_free_even_for_conflicting_events(events, random):
    """Even input the authority never sends (two events with one version, two different
    ImagesReady) converges: the merge is commutative, associative and idempotent."""
    shuffled = list(events) + list(events[: len(events) // 2])
    random.shuffle(shuffled)
    assert fold(shuffled) == fold(events)


# ---------------------------------------------------------------- the prompt is private data (§3)

SECRET = "my secret prompt"


def test_a_private_image_holds_no_prompt_even_from_an_event_that_carried_one():
    # ImagesReady from before the generation service stopped sending private prompts.
    assert apply(EMPTY, ready(PRIVATE, prompt=SECRET)).prompt == ""
    assert fold([ready(PUBLIC, prompt=SECRET), VisibilitySet(PRIVATE, 1)]).prompt == ""


def test_turning_private_erases_the_prompt_and_turning_public_brings_the_fetched_one():
    state = fold([ready(PUBLIC, prompt=SECRET), VisibilitySet(PRIVATE, 2)])
    assert state.prompt == ""
    assert apply(state, VisibilitySet(PUBLIC, 3, prompt=SECRET)).prompt == SECRET
    # An older public event (and its prompt) arriving late changes nothing.
    assert apply(state, VisibilitySet(PUBLIC, 1, prompt=SECRET)) == state


def test_a_prompt_of_an_older_version_does_not_outlive_a_newer_public_one_without_it():
    # The authority said "not public" by the time the feed asked: the newer version holds no prompt.
    state = fold([ready(PUBLIC, prompt=SECRET), VisibilitySet(PUBLIC, 2)])
    assert state.listed and state.prompt == ""


@st.composite
def histories_with_prompts(draw):
    """One image's events as the feed gets them now: ImagesReady carries the prompt only when
    public (or, from older producers, always), and every toggle to public carries the prompt
    the generation service answered for it."""
    first = draw(VISIBILITIES)
    legacy = draw(st.booleans())
    events = [ready(first, prompt=SECRET if first is PUBLIC or legacy else "")]
    toggles = draw(TOGGLES)
    events += [VisibilitySet(v, n, SECRET if v is PUBLIC else "") for n, v in enumerate(toggles, start=2)]
    if draw(st.booleans()):
        events.append(Deleted())
    return events


@settings(deadline=None, database=None)
@given(st.data())
def test_whatever_the_order_a_private_or_deleted_image_never_holds_its_prompt(data):
    history = data.draw(histories_with_prompts())
    delivered = data.draw(deliveries(history))
    state: ImageState = EMPTY
    for event in delivered:
        state = apply(state, event)
        if state.visibility is PRIVATE or state.deleted:
            assert state.prompt == ""
    assert state == fold(canonical(history))
    # And a listed image shows its prompt, whatever the order.
    assert state.prompt == (SECRET if state.listed else "")
