"""Per-step Bernoulli rate coding on the encoder seam (`stdp_learn.encoding`)."""
from __future__ import annotations

from dataclasses import dataclass

from ..encoding import register_encoder
from ..equations import StateVariable

__all__ = ["BernoulliEncoder"]

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
