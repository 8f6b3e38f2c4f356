"""A/B experiments on a placement: the design (variants, split, horizon), sticky assignment, the
sample-size calculator and the statistics of the results. Pure: the API stores experiments and
counts outcomes, and hands them here as plain values and numpy arrays."""
from .design import (METRICS, Assigned, Experiment, RunningExperiment, Variant, assign, parse_experiment,
                     running_experiment, stored_experiment, variant_settings)
from .sample_size import minimum_detectable_effect, sample_size
from .statistics import Outcomes, Results, analyse

__all__ = ["METRICS", "Assigned", "Experiment", "RunningExperiment", "running_experiment", "stored_experiment", "Outcomes", "Results", "Variant", "analyse", "assign",
           "minimum_detectable_effect", "parse_experiment", "sample_size", "variant_settings"]
