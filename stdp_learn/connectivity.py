"""The connectivity seam: which inputs reach which excitatory neurons.

A connectivity connects the input -> excitatory synapses, says how many there are (for
the memory and operation counts) and what a neuron's receptive field is.  The network's
weights are kept as a dense ``(n_input, n_neurons)`` matrix (`DiehlCook2015.weights_`);
a connectivity that leaves synapses out keeps them at zero weight there.  Adding one is
one file that defines a class decorated with `register_connectivity`, and its import in
``stdp_learn/__init__.py``.

The connectivity interface (`Connectivity`)
-------------------------------------------
``name``                               the registry key (and the name in model files).
``connect(synapses)``                  create the synapses of a Brian2 `Synapses` object.
``n_synapses(n_input, n_neurons)``     how many it creates.
``synapse_index(n_input, n_neurons)``  the synapses as flat indices into the dense
                                       ``(n_input, n_neurons)`` weights, in the order
                                       `connect` creates them (ascending: row-major).
``normalisation_target(weight_sum, n_input)``  what each neuron's input weights sum to
                                       after normalisation.
``inhibition_pairs(n_neurons)``        ``(inhibitory, excitatory)`` index arrays of the
                                       lateral inhibition, or None: every excitatory
                                       neuron but the partner (the paper's, computed
                                       in O(N) by `stdp_learn.network`).
``receptive_field(weights, image_shape, neuron)``  neuron's weights as an image.
``to_dict()``, ``from_dict()``         the JSON round trip.

The simulators keep every per-synapse array dense, ``(n_input, n_neurons)`` flattened,
and gather the synapses' entries with `synapse_index` when a block starts and scatter
them back when it ends; entries of absent synapses stay zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .config import Registry

__all__ = ["AllToAll", "CONNECTIVITIES", "Connectivity", "connectivity_from_dict",
           "register_connectivity"]


@runtime_checkable
class Connectivity(Protocol):
    """What the network and the reports need from a connectivity."""

    name: str

    def connect(self, synapses) -> None: ...
    def n_synapses(self, n_input: int, n_neurons: int) -> int: ...
    def synapse_index(self, n_input: int, n_neurons: int) -> np.ndarray: ...
    def normalisation_target(self, weight_sum: float, n_input: int) -> float: ...
    def inhibition_pairs(self, n_neurons: int): ...
    def receptive_field(self, weights, image_shape, neuron) -> np.ndarray: ...
    def to_dict(self) -> dict: ...


#: Connectivities by name; each one's module adds itself with `register_connectivity`.
CONNECTIVITIES = Registry("connectivity", "connectivity")
register_connectivity = CONNECTIVITIES.register


def connectivity_from_dict(values) -> "Connectivity":
    """Rebuild a registered connectivity (None: the paper's all-to-all)."""
    return AllToAll() if values is None else CONNECTIVITIES.from_dict(values)


@register_connectivity
@dataclass(frozen=True)
class AllToAll:
    """Every input reaches every excitatory neuron (Diehl & Cook 2015)."""

    name = "all_to_all"

    def connect(self, synapses) -> None:
        """Connect every pair; Brian2 orders them by source, then target (row-major)."""
        synapses.connect()

    def n_synapses(self, n_input, n_neurons) -> int:
        """Return ``n_input * n_neurons``."""
        return int(n_input) * int(n_neurons)

    def synapse_index(self, n_input, n_neurons) -> np.ndarray:
        """Return every flat index of the dense weights: Brian2's all-to-all order."""
        return np.arange(int(n_input) * int(n_neurons))

    def normalisation_target(self, weight_sum, n_input) -> float:
        """Return `weight_sum` itself: each neuron sees every input (78 at MNIST's 784)."""
        return weight_sum

    def inhibition_pairs(self, n_neurons):
        """Return None: each inhibitory neuron inhibits every excitatory neuron but its partner."""
        return None

    def receptive_field(self, weights, image_shape, neuron) -> np.ndarray:
        """Return column `neuron` of the weights, shaped as the image."""
        return np.asarray(weights)[:, neuron].reshape(image_shape)

    def to_dict(self) -> dict:
        """Return the connectivity as JSON values."""
        return {"connectivity": self.name}

    @classmethod
    def from_dict(cls, values) -> "AllToAll":
        """Rebuild the connectivity written by `to_dict`."""
        return cls()
