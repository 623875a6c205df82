"""The fitted constants of `msstereo.confidence`, written by ``python -m benchmarks.studies.confidence --write``."""

WEIGHTS = {"consistency": -0.992462,
           "occluded": -0.0729491,
           "near_occlusion": -2.17502,
           "discontinuity": -0.958368,
           "texture": -0.071066,
           "spread": -0.306938,
           "range": -0.677649}
"""Logistic weight of each feature of `msstereo.confidence.FEATURES`."""

BIAS = 4.1418
"""Logistic bias."""
