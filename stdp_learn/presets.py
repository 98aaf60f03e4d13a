"""Named recipes: a choice of building blocks and passes, selected on the validation split.

A preset fixes what a run's command line would otherwise say: the learning rule, the
encoder and the topology with their options, and the number and order of the passes over
the training images.  ``python -m stdp_learn.train mnist --preset triplet`` starts from it, and any
option given beside it wins; from Python::

    from stdp_learn.presets import PRESETS
    recipe = PRESETS["triplet"]
    model = recipe.model(n_neurons=400, random_state=0).fit(X, y, epochs=recipe.epochs)

Every preset other than the paper's names the validation records that chose it
(``experiments/results/validation/``); a preset is never chosen on the test set.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .config import ConfigError

__all__ = ["PRESETS", "Preset", "register_preset"]


@dataclass(frozen=True)
class Preset:
    """A named recipe of building blocks.

    Parameters
    ----------
    name : str
        The name on the command line (``--preset NAME``).
    summary : str
        One line: what the recipe is, and how it was chosen.
    rule, encoding, topology : str
        Registered names of the learning rule, encoder and connectivity.
    rule_options, encoding_options, topology_options : dict
        Their parameters, as in the block's ``to_dict()`` (times in ms where it says so).
    epochs : int
        Passes over the training images.
    shuffle : bool
        Show the training images in a new seeded order every epoch (the model's `shuffle`).
    evidence : tuple of str
        The validation records (file names under ``experiments/results/validation/``)
        that chose this recipe.
    """

    name: str
    summary: str
    rule: str = "pair"
    rule_options: dict = field(default_factory=dict)
    encoding: str = "poisson"
    encoding_options: dict = field(default_factory=dict)
    topology: str = "all_to_all"
    topology_options: dict = field(default_factory=dict)
    epochs: int = 1
    shuffle: bool = False
    evidence: tuple = ()

    def blocks(self) -> dict:
        """Return the model's ``rule``, ``encoder`` and ``connectivity`` arguments."""
        from .connectivity import CONNECTIVITIES
        from .encoding import ENCODERS
        from .rules import RULES

        return {argument: registry.build(name, options)
                for argument, registry, name, options in (
                    ("rule", RULES, self.rule, self.rule_options),
                    ("encoder", ENCODERS, self.encoding, self.encoding_options),
                    ("connectivity", CONNECTIVITIES, self.topology, self.topology_options))}

    def model(self, n_neurons=100, **kwargs):
        """Return an unfitted `DiehlCook2015` with this recipe's blocks; `kwargs` go to it.

        The number of passes is the caller's: ``fit(X, y, epochs=preset.epochs)``.
        """
        from .model import DiehlCook2015

        return DiehlCook2015(n_neurons, **{**self.blocks(), "shuffle": self.shuffle, **kwargs})

    def command_line_defaults(self) -> dict:
        """Return the train command's option values this recipe stands for."""
        def as_options(options):
            return [f"{key}={value}" for key, value in options.items()]

        return {"rule": self.rule, "rule_option": as_options(self.rule_options),
                "encoding": self.encoding, "encoding_option": as_options(self.encoding_options),
                "topology": self.topology, "topology_option": as_options(self.topology_options),
                "epochs": self.epochs, "shuffle": self.shuffle}


#: Every preset by name.
PRESETS: dict = {}


def register_preset(preset: Preset, *, replace=False) -> Preset:
    """Add `preset` to `PRESETS`; its blocks are built once here, so a wrong option fails now."""
    if preset.name in PRESETS and not replace:
        raise ConfigError(f"a preset named {preset.name!r} is already registered")
    if not (isinstance(preset.epochs, int) and preset.epochs >= 1):
        raise ConfigError(f"preset {preset.name!r}: epochs must be a positive integer")
    if not isinstance(preset.shuffle, bool):
        raise ConfigError(f"preset {preset.name!r}: shuffle must be True or False")
    preset.blocks()
    PRESETS[preset.name] = preset
    return preset


register_preset(Preset(
    "diehl-cook-2015",
    "The paper's recipe (pair STDP, Poisson rates, all-to-all, one pass): the default.",
))
register_preset(Preset(
    "triplet",
    "Minimal triplet STDP (Pfister & Gerstner 2006) in place of pair STDP; chosen on the "
    "validation split at 100 and 400 neurons.",
    rule="triplet",
    evidence=("full_triplet.json", "full_triplet_400.json"),
))
register_preset(Preset(
    "triplet-shuffled",
    "The triplet rule, two passes over the training images, each in a new seeded order; "
    "chosen on the validation split held out from the front, where file order loses what "
    "the test protocol loses, at 100 and 400 neurons.",
    rule="triplet",
    epochs=2,
    shuffle=True,
    evidence=("order_first_triplet100.json", "order_first_triplet100_shuffle.json",
              "order_first_triplet100_shuffle_2ep.json", "order_first_triplet400_shuffle.json",
              "order_first_triplet400_shuffle_2ep.json"),
))
