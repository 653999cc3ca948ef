"""Per-epoch time of a 784-...-10 MLP (default 256-128 ReLU) on Keras 3 + JAX (CPU), beside
`examples/train_mlp.rs` (dfdx), `examples/train_mlp_burn.rs` (burn) and the `dense_kernels`
bench, which runs this script as its peer: same data (the shipped Fashion-MNIST subset, or
--data DIR, or --synthetic data of the same shape), pixels / 255, Adam 1e-3, batch 128,
shuffled, the validation set scored after each epoch (inside the epoch's time, as the Rust
loops do). With --train N --val M the first N training images train and the next M validate
(the bench's 50k / 10k); otherwise the test set validates. The last line, `steady ...`, is
the median epoch after the first (wall and process CPU seconds), which the bench parses.

    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install "jax[cpu]" keras numpy
    KERAS_BACKEND=jax /tmp/kvenv/bin/python benches/peers/keras_mlp.py --epochs 3
    KERAS_BACKEND=jax /tmp/kvenv/bin/python benches/peers/keras_mlp.py --units 352,352,352 \
        --activation gelu --train 50000 --val 10000 --data /usr/share/datasets/fashion-mnist

Not part of CI: it needs PyPI packages.
"""
import argparse
import gzip
import os
import struct
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "examples", "data", "fashion-mnist")
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=default)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--units", default="256,128", help="hidden widths, comma-separated")
    p.add_argument("--activation", default="relu", help="relu, tanh, gelu (exact), ...")
    p.add_argument("--train", type=int, help="train on the first N training images")
    p.add_argument("--val", type=int, default=10000, help="validate on the next M (with --train)")
    p.add_argument("--synthetic", action="store_true", help="uniform random data, same shape")
    a = p.parse_args()
    if a.synthetic:
        rng = np.random.default_rng(1)
        n = (a.train or 50000) + a.val
        x = rng.random((n, 784), dtype=np.float32)
        y = rng.integers(0, 10, n).astype("int32")
        a.train = a.train or 50000
    else:
        load = lambda name: idx(os.path.join(a.data, name))  # noqa: E731
        x = load("train-images-idx3-ubyte.gz").reshape(-1, 784).astype("float32") / 255.0
        y = load("train-labels-idx1-ubyte.gz").astype("int32")
        xt = load("t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype("float32") / 255.0
        yt = load("t10k-labels-idx1-ubyte.gz").astype("int32")
    if a.train:
        xt, yt = x[a.train : a.train + a.val], y[a.train : a.train + a.val]
        x, y = x[: a.train], y[: a.train]
    # Keras' "gelu" is the exact (erf) form unless approximate=True, as ours.
    hidden = [keras.layers.Dense(int(u), activation=a.activation) for u in a.units.split(",")]
    model = keras.Sequential([keras.Input((784,)), *hidden, keras.layers.Dense(10)])
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )

    epochs = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()
            self.c = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            s = time.perf_counter() - self.t
            c = time.process_time() - self.c
            epochs.append((s, c, logs["val_accuracy"]))
            print(
                f"epoch {epoch + 1:>2}: {s:6.2f}s (cpu {c:6.2f}s)  loss {logs['loss']:.4f}  "
                f"val_accuracy {logs['val_accuracy']:.4f}",
                flush=True,
            )

    print(f"Keras {keras.__version__} on {keras.backend.backend()}: {len(x)} train, {len(xt)} test")
    model.fit(
        x, y, batch_size=a.batch_size, epochs=a.epochs, shuffle=True,
        validation_data=(xt, yt), verbose=0, callbacks=[Timer()],
    )
    if not a.train:
        _, acc = model.evaluate(xt, yt, batch_size=512, verbose=0)
        print(f"test accuracy {acc:.4f}")
    steady = sorted(epochs[1:] or epochs)
    wall, cpu, acc = steady[len(steady) // 2]
    print(f"steady wall {wall:.3f} cpu {cpu:.3f} val_accuracy {epochs[-1][2]:.4f}")


if __name__ == "__main__":
    main()
