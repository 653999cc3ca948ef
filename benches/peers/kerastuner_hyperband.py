"""KerasTuner's Hyperband (Keras 3 + JAX, CPU) beside the main job's Hyperband
(`examples/fashion_mnist.rs --oracle hyperband --search-only`), back to back on one machine:
the same data (full Fashion-MNIST: the first 50k training images train, the last 10k
validate, the 10k test images score the best model), pixels / 255, batch 128, Adam, the same
space shape (depth 1-3, units per layer 32..512 step 32, one activation of relu/tanh/gelu for
every layer, dropout 0..0.5 step 0.1 before the output, learning rate 1e-4..1e-2 log), the same
budget (max_epochs 10, factor 3, one Hyperband iteration), objective val_accuracy, seed 42 (or each of `--seeds`).

Prints, for both: wall and CPU seconds of the search, trials, epochs trained, parameter-epochs
(each trial's parameters times the epochs it trained), and the best trial's model's test
accuracy with its standard error sqrt(p (1 - p) / n).

    python3 -m venv /work/venvs/parallel
    /work/venvs/parallel/bin/pip install keras-tuner keras jax
    apt-get install -y dataset-fashion-mnist        # /usr/share/datasets/fashion-mnist
    cargo build --release --example fashion_mnist
    /work/venvs/parallel/bin/python benches/peers/kerastuner_hyperband.py

Not part of CI: it needs PyPI packages and takes minutes. `--seeds 1,2,3` repeats both searches
per seed (Hyperband's outcome is one draw per seed: compare medians); `--only ours|keras` runs
one side; `--ours-args` passes extra arguments to the example (e.g. `--sequential`).
"""
import argparse
import gzip
import math
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

DATA = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def idx(path):
    import numpy as np

    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data):
    x = idx(os.path.join(data, "train-images-idx3-ubyte.gz")).astype("float32") / 255.0
    y = idx(os.path.join(data, "train-labels-idx1-ubyte.gz")).astype("int32")
    xt = idx(os.path.join(data, "t10k-images-idx3-ubyte.gz")).astype("float32") / 255.0
    yt = idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz")).astype("int32")
    cut = len(x) * 5 // 6  # as the example: the last sixth validates
    return (x[:cut], y[:cut]), (x[cut:], y[cut:]), (xt, yt)


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run_keras(data, workdir, max_epochs, factor, seed):
    import keras
    import keras_tuner as kt

    (x, y), (xv, yv), (xt, yt) = load(data)
    work = {"epochs": 0, "param_epochs": 0}

    def build(hp):
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten()])
        activation = hp.Choice("activation", ["relu", "tanh", "gelu"])
        for i in range(hp.Int("depth", 1, 3)):
            model.add(keras.layers.Dense(hp.Int(f"units_{i}", 32, 512, step=32),
                                         activation=activation))
        model.add(keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5, step=0.1)))
        model.add(keras.layers.Dense(10))
        model.compile(
            optimizer=keras.optimizers.Adam(
                hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return model

    class Count(keras.callbacks.Callback):
        # KerasTuner deep-copies callbacks per trial: the totals live outside the instance.
        def on_epoch_end(self, epoch, logs=None):
            work["epochs"] += 1
            work["param_epochs"] += self.model.count_params()

    tuner = kt.Hyperband(
        build, objective="val_accuracy", max_epochs=max_epochs, factor=factor,
        hyperband_iterations=1, seed=seed, directory=workdir, project_name="fashion",
        overwrite=True,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    tuner.search(x, y, validation_data=(xv, yv), batch_size=128, verbose=0,
                 callbacks=[Count()])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    trials = len(tuner.oracle.trials)
    best = tuner.get_best_models(1)[0]
    _, acc = best.evaluate(xt, yt, batch_size=512, verbose=0)
    return {"wall": wall, "cpu": cpu, "trials": trials, "epochs": work["epochs"],
            "param_epochs": work["param_epochs"], "test_accuracy": acc,
            "who": f"KerasTuner {kt.__version__}, Keras {keras.__version__} "
                   f"({keras.backend.backend()})"}


def run_ours(data, workdir, max_epochs, seed, extra):
    exe = os.path.join(ROOT, "target", "release", "examples", "fashion_mnist")
    if not os.path.exists(exe):
        sys.exit(f"{exe} is missing: cargo build --release --example fashion_mnist")
    cmd = [exe, "--data", data, "--oracle", "hyperband", "--epochs", str(max_epochs),
           "--directory", workdir, "--fresh", "--search-only", "--seed", str(seed), *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(l for l in out.splitlines() if l.startswith("SUMMARY "))
    got = dict(re.findall(r"(\w+)=(\S+)", line))
    process_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": float(got["wall"]), "cpu": float(got["cpu"]),
            "trials": int(got["trials"]), "epochs": int(got["epochs"]),
            "param_epochs": float(got["param_epochs"]),
            "test_accuracy": float(got["test_accuracy"]),
            "who": f"tuner (fashion_mnist, {got['parallel']} trials at once; "
                   f"whole process {process_cpu:.0f}s CPU)"}


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=DATA)
    p.add_argument("--max-epochs", type=int, default=10)
    p.add_argument("--factor", type=int, default=3)
    p.add_argument("--seeds", default="42",
                   help="comma-separated; each seed runs both searches back to back")
    p.add_argument("--only", choices=["ours", "keras"])
    p.add_argument("--ours-args", default="", help="extra arguments for the example")
    a = p.parse_args()
    if a.factor != 3:
        sys.exit("the example's Hyperband uses factor 3")
    seeds = [int(s) for s in a.seeds.split(",")]
    names = ["ours", "keras"] if a.only is None else [a.only]
    rows = {name: [] for name in names}
    work = tempfile.mkdtemp(prefix="kt-hyperband-")
    try:
        for seed in seeds:
            for name in names:
                print(f"seed {seed}, {name}: load average {load_average()}", flush=True)
                out = os.path.join(work, f"{name}-{seed}")
                if name == "ours":
                    r = run_ours(a.data, out, a.max_epochs, seed, a.ours_args.split())
                else:
                    r = run_keras(a.data, out, a.max_epochs, a.factor, seed)
                r["seed"] = seed
                rows[name].append(r)
        print(f"after: load average {load_average()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = 10000
    print(f"\n{'':<10} {'seed':>5} {'wall s':>8} {'CPU s':>8} {'trials':>6} {'epochs':>6} "
          f"{'M param-ep':>10} {'test acc':>9} {'± se':>7}")
    for name in names:
        for r in rows[name]:
            p_ = r["test_accuracy"]
            se = math.sqrt(p_ * (1 - p_) / n)
            print(f"{name:<10} {r['seed']:>5} {r['wall']:>8.1f} {r['cpu']:>8.1f} "
                  f"{r['trials']:>6} {r['epochs']:>6} {r['param_epochs'] / 1e6:>10.1f} "
                  f"{p_:>9.4f} {se:>7.4f}")
    for name in names:
        print(f"  {name}: {rows[name][0]['who']}")
    if len(names) == 2:
        ours, keras = rows["ours"], rows["keras"]
        for o, k in zip(ours, keras):
            se = math.sqrt(k["test_accuracy"] * (1 - k["test_accuracy"]) / n)
            print(f"seed {o['seed']}: wall ratio ours/keras {o['wall'] / k['wall']:.2f}, "
                  f"CPU ratio {o['cpu'] / k['cpu']:.2f}, test accuracy difference "
                  f"{o['test_accuracy'] - k['test_accuracy']:+.4f} (one standard error {se:.4f})")
        acc_o = median([r["test_accuracy"] for r in ours])
        acc_k = median([r["test_accuracy"] for r in keras])
        se = math.sqrt(acc_k * (1 - acc_k) / n)
        print(f"\nmedian over {len(seeds)} seeds: wall ratio "
              f"{median([o['wall'] / k['wall'] for o, k in zip(ours, keras)]):.2f} "
              f"(target <= 0.5), CPU ratio "
              f"{median([o['cpu'] / k['cpu'] for o, k in zip(ours, keras)]):.2f}, test accuracy "
              f"{acc_o:.4f} vs {acc_k:.4f}, difference {acc_o - acc_k:+.4f} "
              f"(one standard error {se:.4f})")


if __name__ == "__main__":
    main()
