"""The fitted constants of `msstereo.confidence`, written by ``python -m benchmarks.studies.confidence --write``."""

WEIGHTS = {"consistency": -0.89933,
           "occluded": 0,
           "near_occlusion": -1.77019,
           "discontinuity": -1.15161,
           "texture": 0,
           "spread": -0.419417,
           "range": -0.860822}
"""Logistic weight of each feature of `msstereo.confidence.FEATURES`."""

BIAS = 4.75375
"""Logistic bias."""
