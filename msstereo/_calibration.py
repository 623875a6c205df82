"""The fitted constants of `msstereo.confidence`, written by ``python -m benchmarks.studies.confidence --write``."""

WEIGHTS = {"consistency": -0.990251,
           "occluded": -0.0742273,
           "near_occlusion": -2.17393,
           "discontinuity": -0.959378,
           "texture": -0.0705258,
           "spread": -0.308609,
           "range": -0.678664}
"""Logistic weight of each feature of `msstereo.confidence.FEATURES`."""

BIAS = 4.1463
"""Logistic bias."""
