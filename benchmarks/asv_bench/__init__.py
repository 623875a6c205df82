"""The asv suite of msstereo: the time and peak memory of `msstereo.match`, and of its main kernels.

asv (airspeed velocity) runs every ``time_*`` and ``peakmem_*`` method of
the classes here in fresh processes, each after its class's ``setup``, and
keeps the numbers per commit so that a slowdown shows as a step in the
history (``asv continuous``, ``asv compare``). Each ``setup`` first calls
what it times on a tiny input, so that Numba's compilation (or the loading
of its cache) is not timed. ``benchmarks/README.md`` says how to run the
suite; ``asv.conf.json`` at the repository root configures it.

- `benchmarks.asv_bench.match`: `msstereo.match` per model and solver on a
  small crop of Motorcycle.
- `benchmarks.asv_bench.kernels`: the SOR sweeps, the relaxation's search,
  the weighted median, the warp and the box mean on fixed random inputs.
"""
