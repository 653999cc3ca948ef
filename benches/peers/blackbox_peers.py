"""Black-box peers on the functions of `examples/oracle_quality.rs`: HEBO, SMAC3 (its
BlackBox facade), Optuna's GPSampler and Optuna's TPESampler, on the same functions (Branin,
Hartmann6, Rosenbrock 4-D, Ackley 5-D, the mixed int/categorical function), seeds (0-9) and
budgets (the best after 50 and after 100 trials of one 100-trial run), and Optuna's TPE on
the two-branch conditional function of `examples/oracle_quality/conditional.rs`.

    python3 -m venv /tmp/peers
    /tmp/peers/bin/pip install --prefer-binary optuna smac "scikit-learn>=1.6,<1.7" torch
    # HEBO pins numpy<1.25, against Optuna 5's numpy 2: a venv of its own, run with --peers hebo
    python3 -m venv /tmp/hebo
    /tmp/hebo/bin/pip install --prefer-binary "numpy<1.25" "pymoo==0.6.0" hebo
    nice /tmp/peers/bin/python benches/peers/blackbox_peers.py --out /tmp/peers.jsonl
    /tmp/peers/bin/python benches/peers/blackbox_peers.py --out /tmp/peers.jsonl --summary

Each finished run is appended to `--out` as one JSON line, and runs already in the file are
skipped, so an interrupted run resumes where it stopped. Seeds are the outer loop, so after k
seeds every (function, peer) pair has k runs. `--summary` prints the tables for BENCHMARKS.md
(simple regret: best value found minus the known optimum; median [25%, 75%] over seeds).

Not part of CI: it needs PyPI packages. Runs are one at a time (no seeds in parallel).
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time

import numpy as np

PI = math.pi

# --- the functions (as in examples/oracle_quality.rs) --------------------------------------


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b = 5.1 / (4 * PI * PI)
    c = 5 / PI
    t = 1 / (8 * PI)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


HA = [
    [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
    [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
    [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
    [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
]
HP = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
]
HALPHA = [1.0, 1.2, 3.0, 3.2]
X6 = ["x1", "x2", "x3", "x4", "x5", "x6"]


def hartmann6(p):
    x = [p[n] for n in X6]
    return -sum(
        HALPHA[i] * math.exp(-sum(HA[i][j] * (x[j] - HP[i][j]) ** 2 for j in range(6)))
        for i in range(4)
    )


def rosenbrock4(p):
    x = [p[n] for n in X6[:4]]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def ackley5(p):
    x = [p[n] for n in X6[:5]]
    d = len(x)
    sq = sum(v * v for v in x) / d
    cos = sum(math.cos(2 * PI * v) for v in x) / d
    return -20 * math.exp(-0.2 * math.sqrt(sq)) - math.exp(cos) + 20 + math.e


def mixed(p):
    offset = {"relu": 0.8, "tanh": 0.0, "gelu": 0.3}.get(p["activation"], 1.5)
    n = float(p["n"])
    return (
        (p["x"] - 0.7) ** 2
        + 0.05 * (n - 13) ** 2
        + (math.log10(p["lr"]) + 2.5) ** 2
        + offset * (1 + 0.1 * abs(n - 13))
        + (0.0 if p["bias"] else 0.3)
    )


def conditional(p):
    """Two branches with nested conditions; branch `a` is easy but its best is 0.5."""
    if p["branch"] == "a":
        deep = 0.2 if not p["a_deep"] else (p["a_y"] - 0.5) ** 2
        return 0.5 + (p["a_x"] - 0.5) ** 2 + deep
    kind = {"p": 0.6, "r": 0.9}.get(p["b_kind"])
    if kind is None:
        kind = 3 * (p["b_z"] - 0.8) ** 2
    return 3 * (p["b_x"] - 0.2) ** 2 + kind


# Each parameter: (name, kind, args); kinds: float (lo, hi), log (lo, hi), int (lo, hi), cat
# (values), bool.
FUNCTIONS = {
    "branin": (branin, 0.397887357729738, [("x1", "float", (-5, 10)), ("x2", "float", (0, 15))]),
    "hartmann6": (hartmann6, -3.322368011415515, [(n, "float", (0, 1)) for n in X6]),
    "rosenbrock4": (rosenbrock4, 0.0, [(n, "float", (-5, 10)) for n in X6[:4]]),
    "ackley5": (ackley5, 0.0, [(n, "float", (-32.768, 32.768)) for n in X6[:5]]),
    "mixed": (
        mixed,
        0.0,
        [
            ("x", "float", (-3, 3)),
            ("n", "int", (1, 25)),
            ("lr", "log", (1e-5, 1)),
            ("activation", "cat", ["relu", "tanh", "gelu", "sigmoid"]),
            ("bias", "bool", None),
        ],
    ),
}
CONDITIONAL_OPTIMUM = 0.0

# --- the peers: each returns the list of objective values in trial order --------------------


def run_optuna(sampler_name, params, f, trials, seed):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler_name == "optuna-gp":
        sampler = optuna.samplers.GPSampler(seed=seed)
    else:
        # Optuna 5's defaults (multivariate; on these spaces, with no condition, the same as
        # group decomposition).
        sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    values = []

    def objective(trial):
        p = {}
        for name, kind, args in params:
            if kind == "float":
                p[name] = trial.suggest_float(name, *args)
            elif kind == "log":
                p[name] = trial.suggest_float(name, *args, log=True)
            elif kind == "int":
                p[name] = trial.suggest_int(name, *args)
            elif kind == "cat":
                p[name] = trial.suggest_categorical(name, args)
            else:
                p[name] = trial.suggest_categorical(name, [False, True])
        y = f(p)
        values.append(y)
        return y

    study.optimize(objective, n_trials=trials)
    return values


def run_optuna_conditional(sampler_name, trials, seed):
    """Optuna on the conditional function, define-by-run; also returns each trial's branch."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler_name == "optuna-tpe-group":
        sampler = optuna.samplers.TPESampler(seed=seed, group=True)
    else:
        # Optuna 5's default: the parameters every trial holds (here `branch`) jointly, the
        # conditional ones each on its own from the trials that hold it.
        sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    values, branches = [], []

    def objective(trial):
        p = {"branch": trial.suggest_categorical("branch", ["a", "b"])}
        if p["branch"] == "a":
            p["a_x"] = trial.suggest_float("a_x", 0, 1)
            p["a_deep"] = trial.suggest_categorical("a_deep", [False, True])
            if p["a_deep"]:
                p["a_y"] = trial.suggest_float("a_y", 0, 1)
        else:
            p["b_x"] = trial.suggest_float("b_x", 0, 1)
            p["b_kind"] = trial.suggest_categorical("b_kind", ["p", "q", "r"])
            if p["b_kind"] == "q":
                p["b_z"] = trial.suggest_float("b_z", 0, 1)
        y = conditional(p)
        values.append(y)
        branches.append(p["branch"])
        return y

    study.optimize(objective, n_trials=trials)
    return values, branches


def run_hebo(params, f, trials, seed):
    import pandas as pd  # noqa: F401  (HEBO's suggestions are data frames)
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO

    np.random.seed(seed)
    torch.manual_seed(seed)
    spec = []
    for name, kind, args in params:
        if kind == "float":
            spec.append({"name": name, "type": "num", "lb": args[0], "ub": args[1]})
        elif kind == "log":
            spec.append({"name": name, "type": "pow", "lb": args[0], "ub": args[1], "base": 10})
        elif kind == "int":
            spec.append({"name": name, "type": "int", "lb": args[0], "ub": args[1]})
        elif kind == "cat":
            spec.append({"name": name, "type": "cat", "categories": list(args)})
        else:
            spec.append({"name": name, "type": "bool"})
    opt = HEBO(DesignSpace().parse(spec), scramble_seed=seed)
    values = []
    while len(values) < trials:
        rec = opt.suggest(n_suggestions=1)
        row = rec.iloc[0].to_dict()
        p = {}
        for name, kind, _ in params:
            v = row[name]
            p[name] = bool(v) if kind == "bool" else (int(v) if kind == "int" else v)
            if kind in ("float", "log"):
                p[name] = float(v)
        y = f(p)
        values.append(y)
        opt.observe(rec, np.array([[y]]))
    return values


def run_smac(params, f, trials, seed):
    from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
    from smac import BlackBoxFacade, Scenario

    cs = ConfigurationSpace(seed=seed)
    hps = []
    for name, kind, args in params:
        if kind == "float":
            hps.append(Float(name, (float(args[0]), float(args[1]))))
        elif kind == "log":
            hps.append(Float(name, (float(args[0]), float(args[1])), log=True))
        elif kind == "int":
            hps.append(Integer(name, (args[0], args[1])))
        elif kind == "cat":
            hps.append(Categorical(name, list(args)))
        else:
            hps.append(Categorical(name, [False, True]))
    (cs.add if hasattr(cs, "add") else cs.add_hyperparameters)(hps)
    values = []

    def target(config, seed: int = 0) -> float:
        y = f(dict(config))
        values.append(y)
        return y

    with tempfile.TemporaryDirectory() as out:
        scenario = Scenario(
            cs, deterministic=True, n_trials=trials, seed=seed, output_directory=out
        )
        smac = BlackBoxFacade(scenario, target, overwrite=True, logging_level=40)
        smac.optimize()
    return values[:trials]


PEERS = ["optuna-tpe", "optuna-tpe-group", "optuna-gp", "smac", "hebo"]


def run(peer, function, trials, seed):
    if function == "conditional":
        values, branches = run_optuna_conditional(peer, trials, seed)
        return values, branches
    f, _, params = FUNCTIONS[function]
    if peer.startswith("optuna"):
        return run_optuna(peer, params, f, trials, seed), None
    if peer == "hebo":
        return run_hebo(params, f, trials, seed), None
    if peer == "smac":
        return run_smac(params, f, trials, seed), None
    raise SystemExit(f"unknown peer {peer}")


# --- summary --------------------------------------------------------------------------------


def quantile(v, q):
    s = sorted(v)
    if not s:
        return float("nan")
    pos = q * (len(s) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def fmt(v):
    if v == 0:
        return "0"
    if 0.01 <= abs(v) < 1e4:
        return f"{v:.4g}"
    return f"{v:.2e}"


def summary(records, at_list):
    by = {}
    for r in records:
        by.setdefault((r["function"], r["peer"]), []).append(r)
    print("| function | peer | seeds | " + " | ".join(f"regret @{a}" for a in at_list)
          + " | s/run (median) |")
    print("|---|---|---|" + "---|" * len(at_list) + "---|")
    for (function, peer), runs in sorted(by.items()):
        optimum = CONDITIONAL_OPTIMUM if function == "conditional" else FUNCTIONS[function][1]
        cells = []
        for a in at_list:
            reg = [min(r["values"][:a]) - optimum for r in runs]
            cells.append(f"{fmt(quantile(reg, 0.5))} [{fmt(quantile(reg, 0.25))}, "
                         f"{fmt(quantile(reg, 0.75))}]")
        secs = quantile([r["seconds"] for r in runs], 0.5)
        print(f"| {function} | {peer} | {len(runs)} | " + " | ".join(cells) + f" | {secs:.1f} |")
    cond = [r for r in records if r["function"] == "conditional"]
    if cond:
        print("\nConditional: runs whose best after 100 trials is in branch a (regret >= 0.5), "
              "and the median share of trials in branch a")
        for peer in sorted({r["peer"] for r in cond}):
            runs = [r for r in cond if r["peer"] == peer]
            stuck = sum(1 for r in runs if min(r["values"]) >= 0.5)
            share = quantile([r["branches"].count("a") / len(r["branches"]) for r in runs], 0.5)
            print(f"| {peer} | {stuck} of {len(runs)} | {100 * share:.0f}% |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/peers.jsonl")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--functions", default=",".join(list(FUNCTIONS) + ["conditional"]))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0,
                    help="start at this seed (to split the seeds over several processes)")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--summary", action="store_true")
    a = ap.parse_args()
    done = []
    if os.path.exists(a.out):
        with open(a.out) as fh:
            done = [json.loads(line) for line in fh if line.strip()]
    if a.summary:
        summary(done, [50, 100])
        return
    have = {(r["peer"], r["function"], r["seed"]) for r in done}
    peers = a.peers.split(",")
    for seed in range(a.first_seed, a.seeds):
        for function in a.functions.split(","):
            for peer in peers:
                # The conditional function is Optuna TPE's only (the default, and with
                # `group=True`, which runs on it only).
                conditional_peer = peer.startswith("optuna-tpe")
                if function == "conditional" and not conditional_peer:
                    continue
                if function != "conditional" and peer == "optuna-tpe-group":
                    continue
                if (peer, function, seed) in have:
                    continue
                t = time.process_time()
                w = time.time()
                try:
                    values, branches = run(peer, function, a.trials, seed)
                except Exception as e:  # a peer that breaks is reported, the rest go on
                    print(f"{peer} {function} seed {seed}: {type(e).__name__}: {e}",
                          file=sys.stderr, flush=True)
                    continue
                rec = {"peer": peer, "function": function, "seed": seed, "values": values,
                       "branches": branches, "seconds": time.time() - w,
                       "cpu_seconds": time.process_time() - t}
                with open(a.out, "a") as fh:
                    fh.write(json.dumps(rec) + "\n")
                print(f"{peer} {function} seed {seed}: best {min(values):.6g} "
                      f"({rec['seconds']:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
