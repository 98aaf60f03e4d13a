"""Two more input encodings on the encoder seam: per-step Bernoulli and first-spike latency.

Both follow the interface of `stdp_learn.encoding` (see `Encoder` there) and register
themselves by name: ``"bernoulli"`` and ``"latency"``.  Each lives in its own module; an
encoder added here is one more module and its import line below.

* `BernoulliEncoder` is the Poisson rate code drawn the direct way: every time step of the
  presentation each input fires with probability ``rate * dt``.  Same rates as
  `PoissonEncoder`, one random number per input and time step instead of one per spike.
* `LatencyEncoder` is a time-to-first-spike code: each pixel fires at most once per
  presentation, brighter pixels earlier, black pixels never.
"""
from .bernoulli import BernoulliEncoder
from .latency import LatencyEncoder

__all__ = ["BernoulliEncoder", "LatencyEncoder"]
