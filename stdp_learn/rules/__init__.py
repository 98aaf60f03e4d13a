"""Learning rules of the input synapses: one file per rule, each registered by name.

Adding a rule is one new file in this package that defines a class decorated with
`register_rule`, and one import line below.
"""
from .base import RULES, LearningRule, register_rule, rule_from_dict, spike_trace
from .pair import WEIGHT_DEPENDENCES, PairSTDP
from .triplet import TripletSTDP
from .symmetric import SymmetricSTDP
from .vdsp import VDSP

__all__ = ["RULES", "LearningRule", "PairSTDP", "SymmetricSTDP", "TripletSTDP",
           "VDSP", "WEIGHT_DEPENDENCES", "register_rule", "rule_from_dict", "spike_trace"]
