"""The plan: seeded, arm-interleaving order; stored in run.json and grown for later batches."""

from __future__ import annotations

from collections import Counter

from popkit_bench.planning.plan import extend_plan, make_plan, plan_from_json, trials_per_arm


def test_every_trial_once_and_rounds_interleave_the_arms() -> None:
    plan = make_plan(["a", "b"], ["baseline", "plugin"], 5, seed=3)
    assert len(plan.keys) == len(set(plan.keys)) == 2 * 2 * 5
    for number in range(1, 6):  # round n holds trial n of every (task, arm): drift hits both arms alike
        chunk = plan.keys[(number - 1) * 4: number * 4]
        assert {k.trial for k in chunk} == {number}
        assert Counter(k.arm for k in chunk) == {"baseline": 2, "plugin": 2}


def test_order_is_seeded_and_not_fixed() -> None:
    one = make_plan(["a"], ["baseline", "plugin"], 20, seed=1)
    assert one.keys == make_plan(["a"], ["baseline", "plugin"], 20, seed=1).keys
    assert one.keys != make_plan(["a"], ["baseline", "plugin"], 20, seed=2).keys
    firsts = Counter(one.keys[i].arm for i in range(0, 40, 2))
    assert firsts["baseline"] > 0 and firsts["plugin"] > 0  # A B B A ..., not always A first


def test_round_trip_through_run_json_and_extend_keeps_the_order() -> None:
    plan = make_plan(["a"], ["baseline", "plugin"], 2, seed=7)
    again = plan_from_json(plan.to_json(), seed=7)
    assert again.keys == plan.keys
    grown = extend_plan(again, ["a"], ["baseline", "plugin"], 5)
    assert grown.keys[:4] == plan.keys
    assert trials_per_arm(grown) == 5 and len(grown.keys) == len(set(grown.keys)) == 10
    assert extend_plan(grown, ["a"], ["baseline", "plugin"], 3).keys == grown.keys
