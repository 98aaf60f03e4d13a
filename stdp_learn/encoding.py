"""The encoder seam: how an image becomes input spikes inside the compiled schedule.

An encoder gives the input group (one neuron per pixel) its model, the statements run at
the start of every presentation slot, its threshold and its reset.  The network supplies
what every encoder may read: ``block_images(image_index * second, i)``, the pixel value
0-255 of the image the slot shows; ``retries``, how many times this image has been shown
again; ``n_images`` (slots at or past it show nothing); ``slot_start`` and
``presentation_time``; and it counts the spikes (``slot_spike_count``).  Adding an
encoder is one file that defines a class decorated with `register_encoder`, and its
import in ``stdp_learn/__init__.py``.

The encoder interface (`Encoder`)
---------------------------------
``name``                 the registry key (and ``"encoder"`` in model files).
``input_variables``      its per-input variables, as `equations.StateVariable` (for the
                         memory count; none is carried between blocks: every slot starts
                         its own presentation).
``model()``              model lines of those variables.
``slot_start()``         statements run at the start of every slot.
``threshold()``, ``reset()``  when an input fires, and what firing does.
``namespace(params)``    the constants the strings use, from the `NetworkParams`.
``to_dict()``, ``from_dict()``  the JSON round trip.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from brian2 import second

from .config import Registry
from .equations import StateVariable

__all__ = ["ENCODERS", "Encoder", "PoissonEncoder", "encoder_from_dict", "register_encoder"]


@runtime_checkable
class Encoder(Protocol):
    """What the network needs from an input encoding."""

    name: str
    input_variables: tuple

    def model(self) -> str: ...
    def slot_start(self) -> str: ...
    def threshold(self) -> str: ...
    def reset(self) -> str: ...
    def namespace(self, params) -> dict: ...
    def to_dict(self) -> dict: ...


#: Encoders by name; each encoder's module adds itself with `register_encoder`.
ENCODERS = Registry("encoder", "encoder")
register_encoder = ENCODERS.register


def encoder_from_dict(values) -> "Encoder":
    """Rebuild a registered encoder from its ``to_dict`` (None: the paper's Poisson input)."""
    return PoissonEncoder() if values is None else ENCODERS.from_dict(values)


# Instead of one random number per input and time step (rand() < rate*dt), each input
# draws how many steps pass until its next spike from the geometric distribution of that
# Bernoulli process: the same spike statistics for one random number per spike.  A spike
# that would fall after the presentation time is moved out of reach, so the threshold is
# a single comparison per input.  A pixel with rate 0 divides by log(1) = 0: the guard
# keeps the division finite, and the last line moves its spike out of reach.
_NEXT_SPIKE = """
spike_probability = clip(rate * dt, 0, 0.999999)
next_spike = {origin} + dt * ceil(log(rand()) / (log(1 - spike_probability) - int(spike_probability == 0)))
next_spike += never * int(spike_probability == 0 or next_spike - slot_start >= presentation_time)
"""


@register_encoder
@dataclass(frozen=True)
class PoissonEncoder:
    """Poisson rate coding, brighter at every retry (Diehl & Cook 2015).

    Pixel value ``p`` (0-255) fires as a Poisson process at
    ``p / 255 * (max_rate + retries * retry_rate_step)`` while the image is on
    (`PresentationParams`: 63.75 Hz for a white pixel, 31.875 Hz more per retry, the
    paper's intensity 2 raised by one step per retry).
    """

    name = "poisson"
    input_variables = (StateVariable("rate", "float"), StateVariable("next_spike", "float"))

    def model(self) -> str:
        """Return the input group's own variables."""
        return ("rate : Hz                     # Poisson rate of this pixel in the current slot\n"
                "next_spike : second           # time step of the next spike\n")

    def slot_start(self) -> str:
        """Return the statements that set this slot's rates and first spikes."""
        return ("\nrate = block_images(image_index * second, i) / 255.0 * (max_rate + retries"
                " * retry_rate_step) * int(image_index < n_images)\n"
                + _NEXT_SPIKE.format(origin="t - dt"))

    def threshold(self) -> str:
        """Return the spike condition."""
        return "t >= next_spike"

    def reset(self) -> str:
        """Return what a spike does: draw the next one."""
        return _NEXT_SPIKE.format(origin="t")

    def namespace(self, params) -> dict:
        """Return the constants of the strings above."""
        pres = params.presentation
        return {"max_rate": pres.max_rate, "retry_rate_step": pres.retry_rate_step,
                "never": 1e9 * second}

    def to_dict(self) -> dict:
        """Return the encoder as JSON values."""
        return {"encoder": self.name}

    @classmethod
    def from_dict(cls, values) -> "PoissonEncoder":
        """Rebuild the encoder written by `to_dict`."""
        return cls()
