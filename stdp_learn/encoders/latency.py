"""Time-to-first-spike latency coding on the encoder seam (`stdp_learn.encoding`)."""
from __future__ import annotations

from dataclasses import dataclass, field

from brian2 import Quantity, ms, second

from ..config import ConfigError, _check_number, _check_quantity, block_from_dict, block_to_dict
from ..encoding import register_encoder
from ..equations import StateVariable

__all__ = ["LatencyEncoder"]

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
        return block_to_dict(self, "encoder", self.name)

    @classmethod
    def from_dict(cls, values) -> "LatencyEncoder":
        """Rebuild the encoder written by `to_dict`."""
        return block_from_dict(cls, values, "encoder")
