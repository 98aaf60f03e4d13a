"""Two more input encodings on the encoder seam: per-step Bernoulli and first-spike latency.

Both follow the interface of `stdp_learn.encoding` (see `Encoder` there) and register
themselves by name: ``"bernoulli"`` and ``"latency"``.

* `BernoulliEncoder` is the Poisson rate code drawn the direct way: every time step of the
  presentation each input fires with probability ``rate * dt``.  Same rates as
  `PoissonEncoder`, one random number per input and time step instead of one per spike.
* `LatencyEncoder` is a time-to-first-spike code: each pixel fires at most once per
  presentation, brighter pixels earlier, black pixels never.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from brian2 import Quantity, ms, second

from .config import ConfigError, _check_number, _check_quantity
from .encoding import register_encoder
from .equations import StateVariable

__all__ = ["BernoulliEncoder", "LatencyEncoder"]

# Every time step of the presentation the input fires if a uniform draw falls below this.
# A white pixel at max_rate = 1 / dt has probability 1 and fires at every step.
_SPIKE_PROBABILITY = """
pixel = block_images(image_index * second, i) / 255.0 * int(image_index < n_images)
spike_probability = clip(pixel * (max_rate + retries * retry_rate_step) * dt, 0, 1)
"""


@register_encoder
@dataclass(frozen=True)
class BernoulliEncoder:
    """Rate coding by an independent coin flip per input and time step.

    Pixel value ``p`` (0-255) has rate ``p / 255 * (max_rate + retries * retry_rate_step)``
    (`PresentationParams`, as `PoissonEncoder`); while the image is on, the input fires
    in each time step with probability ``rate * dt`` (at most 1), and never during the
    rest.  That is a Bernoulli process, the discrete-time Poisson process, so the spike
    statistics are those of `PoissonEncoder`.  The cost differs: this encoder draws one
    random number per input at every time step of the presentation (784 per step for
    MNIST), where `PoissonEncoder` draws one per spike.

    Examples
    --------
    >>> BernoulliEncoder().threshold()
    't - slot_start < presentation_time - 0.5 * dt and rand() < spike_probability'
    """

    name = "bernoulli"
    input_variables = (StateVariable("spike_probability", "float"),)

    def model(self) -> str:
        """Return the input group's own variables."""
        return "spike_probability : 1   # chance to fire in each time step of this presentation\n"

    def slot_start(self) -> str:
        """Return the statements that set this slot's spike probabilities."""
        return _SPIKE_PROBABILITY

    def threshold(self) -> str:
        """Return the spike condition: a draw below the probability, while the image is on."""
        # Half a step of margin: t - slot_start is a difference of rounded times.
        return "t - slot_start < presentation_time - 0.5 * dt and rand() < spike_probability"

    def reset(self) -> str:
        """Return what a spike does (nothing of the encoder's own)."""
        return ""

    def namespace(self, params) -> dict:
        """Return the constants of the strings above."""
        pres = params.presentation
        return {"max_rate": pres.max_rate, "retry_rate_step": pres.retry_rate_step}

    def to_dict(self) -> dict:
        """Return the encoder as JSON values."""
        return {"encoder": self.name}

    @classmethod
    def from_dict(cls, values) -> "BernoulliEncoder":
        """Rebuild the encoder written by `to_dict`."""
        return cls()


# The intensity grows by `retry_gain` per retry and saturates at 1 (a spike at the slot's
# start).  The latency is rounded to the nearest time step and kept inside the
# presentation; a black pixel (or a padding slot past the block's images) never fires.
_FIRST_SPIKE = """
pixel = block_images(image_index * second, i) / 255.0 * int(image_index < n_images)
intensity = clip(pixel * (1 + retries * retry_gain), 0, 1)
last_step = floor(presentation_time / dt + 0.5) - 1
latency_steps = clip(floor((1 - intensity) * latency_window / dt + 0.5), 0, last_step)
spike_time = slot_start + latency_steps * dt + never * int(intensity <= 0)
"""


@register_encoder
@dataclass(frozen=True)
class LatencyEncoder:
    """Time-to-first-spike coding: one spike per pixel, brighter pixels earlier.

    Pixel value ``p`` (0-255) fires once, at ``slot_start + (1 - p / 255) * latency_window``
    (rounded to the nearest time step): a white pixel at the start of the presentation, a
    pixel of value 1 almost ``latency_window`` later; a black pixel never fires.  Nothing
    fires during the rest.

    A retry (a presentation shown again because the excitatory layer made fewer than
    ``min_spikes`` spikes) brightens the image as `PoissonEncoder`'s retry does, with the
    intensity ``min(1, p / 255 * (1 + retries * retry_gain))``: every pixel fires earlier,
    and the brightest ones together at the start.  The number of input spikes does not
    change (still one per non-black pixel): a retry only makes the volley earlier and more
    synchronous, which raises the peak drive of the excitatory neurons.  Once all pixels
    saturate, further retries show the same spikes; `PresentationParams.max_retries`
    bounds them.

    Parameters
    ----------
    latency_window : Quantity
        Latency of the dimmest pixel (50 ms); at most the presentation time (checked
        when the network is built).
    retry_gain : float
        Relative intensity added per retry (0.5: the step of the paper's Poisson retry,
        ``retry_rate_step / max_rate`` = 31.875 Hz / 63.75 Hz).  0 shows every retry
        exactly as the first presentation.

    Notes
    -----
    One spike per pixel is far less input than the paper's Poisson code (a white pixel
    sends about 22 spikes in 350 ms at 63.75 Hz).  With the paper's weights and threshold a
    small layer seldom answers a volley with ``min_spikes`` (5) spikes, so every image is
    retried up to ``max_retries``; lower ``PresentationParams.min_spikes`` (0 turns the
    retry off) or strengthen the input weights (`ConnectivityParams.weight_sum`) when
    training with this code.

    Examples
    --------
    >>> from brian2 import ms
    >>> LatencyEncoder(latency_window=100 * ms).to_dict()
    {'encoder': 'latency', 'latency_window_ms': 100.0, 'retry_gain': 0.5}
    """

    latency_window: Quantity = field(default_factory=lambda: 50 * ms)
    retry_gain: float = 0.5

    name = "latency"
    input_variables = (StateVariable("spike_time", "float"),)

    def validate(self, params=None):
        """Raise `ConfigError` on a wrong unit or sign, or a window past the presentation.

        Returns self.
        """
        _check_quantity("LatencyEncoder", "latency_window", self.latency_window, second,
                        positive=True)
        _check_number("LatencyEncoder", "retry_gain", self.retry_gain, non_negative=True)
        if params is not None and self.latency_window > params.presentation.presentation_time:
            raise ConfigError(
                f"LatencyEncoder.latency_window ({self.latency_window}) must not exceed the "
                f"presentation time ({params.presentation.presentation_time})"
            )
        return self

    def model(self) -> str:
        """Return the input group's own variables."""
        return "spike_time : second   # this presentation's spike (never: none, or already fired)\n"

    def slot_start(self) -> str:
        """Return the statements that set this slot's spike times."""
        return _FIRST_SPIKE

    def threshold(self) -> str:
        """Return the spike condition: the spike's time step has come."""
        # spike_time lies on the step grid up to rounding: half a step of margin.
        return "t >= spike_time - 0.5 * dt"

    def reset(self) -> str:
        """Return what a spike does: no other spike in this presentation."""
        return "spike_time = never\n"

    def namespace(self, params) -> dict:
        """Return the constants of the strings above; check the window against `params`."""
        self.validate(params)
        return {"latency_window": self.latency_window, "retry_gain": self.retry_gain,
                "never": 1e9 * second}

    def to_dict(self) -> dict:
        """Return the encoder as JSON values (the window in ms)."""
        return {"encoder": self.name, "latency_window_ms": float(self.latency_window / ms),
                "retry_gain": self.retry_gain}

    @classmethod
    def from_dict(cls, values) -> "LatencyEncoder":
        """Rebuild the encoder written by `to_dict`."""
        return cls(latency_window=values["latency_window_ms"] * ms,
                   retry_gain=values["retry_gain"]).validate()
