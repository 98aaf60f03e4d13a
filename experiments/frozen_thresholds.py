"""Does a trained network answer the same with theta frozen, as the test pass runs it?

While learning, every spike raises its neuron's threshold by theta_plus, and theta decays
with tau_theta; in the test pass theta is frozen (the paper).  A neuron whose theta has
decayed so far that its threshold ``v_threshold - theta_offset + theta`` lies below the
resting potential fires without input: while learning its own spikes raise theta again,
but with theta frozen it fires through every presentation and its inhibition silences
the layer.  This script counts such neurons in a saved training checkpoint or full model
file and shows the last ``--images`` training images again with learning off, beside the
responses recorded while they were learned (kept in the file), labelled alike.

It also reports how close to rest the thresholds sit and which neuron leads the frozen
responses: a threshold a fraction of a millivolt above rest fires at the first input of
any image, and with theta frozen nothing stops it from winning every one.

Training images only; the record goes to ``results/validation/<name>.json``.  A network
trained on a validation run learned from the training images after the held-out block:
``--first-image`` says where they start (checked against the file)::

    python experiments/frozen_thresholds.py RUN/model.npz --images 1000 --name frozen_6400
    python experiments/frozen_thresholds.py VALRUN/model.npz --first-image 2000 --name ...
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from stdp_learn import DiehlCook2015, load_mnist
from stdp_learn.metrics import accuracy
from stdp_learn.readout import predict_all_activity
from stdp_learn.record import script_record, write_json_atomic
from stdp_learn.training import threshold_above_rest


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a full model file (model.npz or checkpoint.npz of a run)")
    parser.add_argument("--images", type=int, default=1000, help="last training images shown again")
    parser.add_argument("--first-image", type=int, default=0,
                        help="index in MNIST's training set of the network's first training image")
    parser.add_argument("--name", required=True, help="record name under results/validation/")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--build-dir", default=None)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    model = DiehlCook2015.load(args.model, build_dir=args.build_dir)
    seen, learning = model.recent_responses_
    if not len(seen):
        raise SystemExit(f"{args.model}: holds no responses recorded while learning")
    data = load_mnist(args.data_dir, download=False)
    n_train = model.n_train_images_
    X_seen = data.X_train[args.first_image:args.first_image + n_train]
    y_seen = data.y_train[args.first_image:args.first_image + n_train]
    if not model.trained_on(X_seen, y_seen):
        raise SystemExit(f"{args.model}: did not learn from training images "
                         f"{args.first_image}..{args.first_image + n_train - 1}; check --first-image")
    seen, learning = seen[-args.images:], learning[-args.images:]
    images = args.first_image + seen % n_train
    y = data.y_train[images]
    started = time.perf_counter()
    frozen = model.responses(data.X_train[images]).counts
    seconds = time.perf_counter() - started
    margin_mV = threshold_above_rest(model) * 1e3
    below_rest = margin_mV < 0
    near_rest = margin_mV < 1.0
    frozen_top = frozen.argmax(1)
    leaders, led = np.unique(frozen_top, return_counts=True)
    leader = int(leaders[led.argmax()])
    classes = model.n_classes_
    results = {
        "neurons": int(model.n_neurons),
        "neurons_threshold_below_rest": int(below_rest.sum()),
        "accuracy_while_learning": accuracy(y, predict_all_activity(learning, model.assignments_, classes)),
        "accuracy_frozen": accuracy(y, predict_all_activity(frozen, model.assignments_, classes)),
        "spikes_per_image_while_learning": float(learning.sum(1).mean()),
        "spikes_per_image_frozen": float(frozen.sum(1).mean()),
        "distinct_top_neurons_while_learning": int(len(np.unique(learning.argmax(1)))),
        "distinct_top_neurons_frozen": int(len(leaders)),
        "frozen_images_led_by_a_neuron_below_rest": float(np.mean(below_rest[frozen_top])),
        "threshold_above_rest_mV_percentiles": {
            str(q): float(v) for q, v in zip((5, 25, 50, 75, 95),
                                             np.percentile(margin_mV, (5, 25, 50, 75, 95)))},
        "neurons_threshold_under_1mV_above_rest": int(near_rest.sum()),
        "frozen_images_led_by_a_neuron_under_1mV_above_rest": float(np.mean(near_rest[frozen_top])),
        "frozen_leader": leader,
        "frozen_leader_share_of_images": float(led.max() / len(images)),
        "frozen_leader_threshold_above_rest_mV": float(margin_mV[leader]),
        "frozen_leader_spikes_per_image": float(frozen[:, leader].mean()),
    }
    for key, value in results.items():
        print(f"TRAINING IMAGES {key}: {value}")
    record = script_record(
        "python experiments/frozen_thresholds.py", argv, model, arguments=vars(args),
        split="validation", results=results,
        sizes={"train": model.n_train_images_, "epochs": int(model.epochs_),
               "labelling": int(model.labelling_window), "validation": int(len(images))},
        train_seconds=0.0, evaluation_seconds=seconds)
    write_json_atomic(Path(__file__).parent / "results" / "validation" / f"{args.name}.json", record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
