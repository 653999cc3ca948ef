"""Per-epoch time of the 784-256-128-10 ReLU MLP on Keras 3 + JAX (CPU), beside
`examples/train_mlp.rs` (dfdx) and `examples/train_mlp_burn.rs` (burn): same data (the shipped
Fashion-MNIST subset, or --data DIR), pixels / 255, Adam 1e-3, batch 128, shuffled, the test
set scored after each epoch (inside the epoch's time, as the Rust examples do).

    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install "jax[cpu]" keras numpy
    KERAS_BACKEND=jax /tmp/kvenv/bin/python benches/peers/keras_mlp.py --epochs 3

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
    a = p.parse_args()
    load = lambda name: idx(os.path.join(a.data, name))  # noqa: E731
    x = load("train-images-idx3-ubyte.gz").reshape(-1, 784).astype("float32") / 255.0
    y = load("train-labels-idx1-ubyte.gz").astype("int32")
    xt = load("t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype("float32") / 255.0
    yt = load("t10k-labels-idx1-ubyte.gz").astype("int32")
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            s = time.perf_counter() - self.t
            print(
                f"epoch {epoch + 1:>2}: {s:6.2f}s  loss {logs['loss']:.4f}  "
                f"val_accuracy {logs['val_accuracy']:.4f}"
            )

    print(f"Keras {keras.__version__} on {keras.backend.backend()}: {len(x)} train, {len(xt)} test")
    model.fit(
        x, y, batch_size=a.batch_size, epochs=a.epochs, shuffle=True,
        validation_data=(xt, yt), verbose=0, callbacks=[Timer()],
    )
    _, acc = model.evaluate(xt, yt, batch_size=512, verbose=0)
    print(f"test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
