"""The fitted constants of `msstereo.confidence`, written by ``python -m benchmarks.studies.confidence --write``."""

WEIGHTS = {"consistency": -0.856638,
           "occluded": -0.06211,
           "near_occlusion": -2.29533,
           "discontinuity": -1.00132,
           "texture": -0.0808561,
           "spread": -0.317585,
           "range": -0.637075}
"""Logistic weight of each feature of `msstereo.confidence.FEATURES`."""

BIAS = 4.04393
"""Logistic bias."""
