"""Optuna's multi-objective samplers on ZDT1, ZDT2 (30 dimensions) and DTLZ2 (3 objectives,
12 dimensions): the hypervolume of the front after 100 and 300 trials, per seed, as one JSON
line per run, for BENCHMARKS.md beside `cargo run --example multi_objective`. With
`--constrained`, Optuna's TPE on constrained Branin instead: the regret among feasible trials
after 50 and 100 trials, the constraint given through `Trial.set_constraint` (Optuna 5; older
versions through `constraints_func`), or not given (`tpe-blind`).

Not run in CI. Setup and run (one at a time, niced: the machine is shared):

    python3 -m venv /work/venvs/motpe && /work/venvs/motpe/bin/pip install optuna
    nice /work/venvs/motpe/bin/python benches/peers/mo_peers.py --seeds 10 > /tmp/mo_peers.jsonl
    nice /work/venvs/motpe/bin/python benches/peers/mo_peers.py --constrained --seeds 10 \
        > /tmp/cbranin_peers.jsonl

The problems, dimensions, reference points and the constrained problem are those of
examples/multi_objective.rs (and examples/multi_objective/constrained.rs).
"""

import argparse
import json
import math
import sys
import time
import warnings

import optuna

REFERENCE = {"zdt1": [1.1, 11.0], "zdt2": [1.1, 11.0], "dtlz2": [2.0, 2.0, 2.0]}
DIMS = {"zdt1": 30, "zdt2": 30, "dtlz2": 12}


def zdt(x, second):
    g = 1.0 + 9.0 * sum(x[1:]) / (len(x) - 1)
    f1 = x[0]
    return [f1, g * (1.0 - second(f1 / g))]


def dtlz2(x):
    g = sum((v - 0.5) ** 2 for v in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return [
        (1 + g) * math.cos(a) * math.cos(b),
        (1 + g) * math.cos(a) * math.sin(b),
        (1 + g) * math.sin(a),
    ]


FUNCTIONS = {
    "zdt1": lambda x: zdt(x, math.sqrt),
    "zdt2": lambda x: zdt(x, lambda r: r * r),
    "dtlz2": dtlz2,
}


def hypervolume(points, reference):
    """Exact, by slicing the last coordinate down to a 2-D sweep (as the Rust side)."""
    inside = [p for p in points if all(a < r for a, r in zip(p, reference))]
    return _slice(inside, reference)


def _slice(points, reference):
    m = len(reference)
    if m == 2:
        total, best = 0.0, reference[1]
        for p in sorted(points):
            if p[1] < best:
                total += (reference[0] - p[0]) * (best - p[1])
                best = p[1]
        return total
    points = sorted(points, key=lambda p: p[-1])
    total = 0.0
    for i, p in enumerate(points):
        top = points[i + 1][-1] if i + 1 < len(points) else reference[-1]
        if top > p[-1]:
            total += (top - p[-1]) * _slice([q[:-1] for q in points[: i + 1]], reference[:-1])
    return total


BRANIN_OPTIMUM = 0.3978873577297382


def branin(x1, x2):
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def branin_constraint(x1, x2):
    """<= 0 inside the disc of radius sqrt(50) around (2.5, 7.5): one of three minima."""
    return (x1 - 2.5) ** 2 + (x2 - 7.5) ** 2 - 50


def run_constrained(sampler_name, seed, trials):
    blind = sampler_name.endswith("-blind")
    has_set_constraint = hasattr(optuna.trial.Trial, "set_constraint")
    kwargs = {}
    if not blind and not has_set_constraint:
        kwargs["constraints_func"] = lambda t: [t.user_attrs["c"]]
    sampler = optuna.samplers.TPESampler(seed=seed, **kwargs)
    study = optuna.create_study(direction="minimize", sampler=sampler)

    def objective(trial):
        x1 = trial.suggest_float("x1", -5.0, 10.0)
        x2 = trial.suggest_float("x2", 0.0, 15.0)
        c = branin_constraint(x1, x2)
        trial.set_user_attr("c", c)
        if not blind and has_set_constraint:
            trial.set_constraint("c", c)
        return branin(x1, x2)

    started = time.process_time()
    study.optimize(objective, n_trials=max(trials))
    cpu = time.process_time() - started
    feasible = [t.value if t.user_attrs["c"] <= 0 else None for t in study.trials]
    out = {"problem": "branin-c", "sampler": f"optuna-{sampler_name}", "seed": seed}
    for k in trials:
        found = [v for v in feasible[:k] if v is not None]
        out[f"regret{k}"] = min(found) - BRANIN_OPTIMUM if found else float("nan")
    late = feasible[10:]
    out["feasible"] = sum(v is not None for v in late) / max(len(late), 1)
    out["cpu_s"] = cpu
    return out


def run(problem, sampler_name, seed, trials):
    n = DIMS[problem]
    f = FUNCTIONS[problem]
    m = len(REFERENCE[problem])
    if sampler_name == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(directions=["minimize"] * m, sampler=sampler)

    def objective(trial):
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n)]
        return f(x)

    started = time.process_time()
    study.optimize(objective, n_trials=max(trials))
    cpu = time.process_time() - started
    values = [t.values for t in study.trials if t.values is not None]
    out = {"problem": problem, "sampler": f"optuna-{sampler_name}", "seed": seed, "cpu_s": cpu}
    for k in trials:
        out[f"hv{k}"] = hypervolume(values[:k], REFERENCE[problem])
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first..first+seeds-1")
    parser.add_argument("--trials", default=None, help="default 100,300 (50,100 constrained)")
    parser.add_argument("--problems", default="zdt1,zdt2,dtlz2")
    parser.add_argument("--samplers", default=None, help="default nsga2,tpe (tpe,tpe-blind)")
    parser.add_argument("--constrained", action="store_true", help="constrained Branin")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    trials = [int(t) for t in (args.trials or ("50,100" if args.constrained else "100,300")).split(",")]
    samplers = (args.samplers or ("tpe,tpe-blind" if args.constrained else "nsga2,tpe")).split(",")
    if args.constrained:
        for sampler in samplers:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                print(json.dumps(run_constrained(sampler, seed, trials)), flush=True)
        return
    for problem in args.problems.split(","):
        for sampler in samplers:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                print(json.dumps(run(problem, sampler, seed, trials)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
