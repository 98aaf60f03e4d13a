#!/usr/bin/env bash
# The choices once made on the test set, decided again on the validation split (the last
# 10,000 training images held out).  Each run writes its record to results/validation/.
set -euo pipefail
cd "$(dirname "$0")"
seeds="0 1 2"
# R-STDP readout settings, 2,000 training images, first 1,000 validation images
for seed in $seeds; do
  python rstdp_readout.py --seed "$seed" --name "rstdp_default_seed$seed"
  python rstdp_readout.py --seed "$seed" --learning-rate 0.1 --name "rstdp_lr0.1_seed$seed"
  python rstdp_readout.py --seed "$seed" --reward-policy first_spike --lateral-mv 20 \
      --tau-membrane-ms 100 --no-readout-pass --name "rstdp_first_spike_seed$seed"
done
# The first minutes of a new user: 2,000 and 5,000 images, refractory modes
for n in 2000 5000; do
  python run_variant.py --name "quick${n}_no_spike" --train-size "$n" --test-size 1000
  python run_variant.py --name "quick${n}_hold_v" --train-size "$n" --test-size 1000 --refractory-mode hold_v
done
# Integration method and refractory mode on a full epoch (50,000 images), 100 neurons
python run_variant.py --name full_default
python run_variant.py --name full_euler --integration-method euler
python run_variant.py --name full_hold_v --refractory-mode hold_v
