"""msstereo's benchmarks: the asv suite (``asv_bench``) and the accuracy and speed studies (``studies``).

See ``benchmarks/README.md`` for how to run each; the tables and figures the
studies made are in ``benchmarks/results/``.
"""
