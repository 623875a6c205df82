"""The fitted constants of `msstereo.confidence`, written by ``python -m benchmarks.studies.confidence --write``."""

WEIGHTS = {"consistency": -0.913924,
           "occluded": 0,
           "near_occlusion": -1.91672,
           "discontinuity": -1.18111,
           "texture": 0,
           "spread": -0.434334,
           "range": -0.809916}
"""Logistic weight of each feature of `msstereo.confidence.FEATURES`."""

BIAS = 4.72058
"""Logistic bias."""
