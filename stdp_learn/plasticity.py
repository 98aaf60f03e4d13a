"""Learning rules under their former module name; they live in `stdp_learn.rules`."""
from .rules import RULES, WEIGHT_DEPENDENCES, LearningRule, PairSTDP, TripletSTDP, spike_trace

__all__ = ["RULES", "LearningRule", "PairSTDP", "TripletSTDP", "WEIGHT_DEPENDENCES", "spike_trace"]
