"""Accuracy and speed studies of msstereo: command-line scripts that write ``benchmarks/results/``.

Each study is a module run from the repository root, e.g.
``python -m benchmarks.studies.middlebury --models default``; what they
share is in `benchmarks.studies.common`.

Importing this package caps OpenBLAS, OpenMP and MKL at one thread each
(an explicit setting in the environment wins). Threads of those libraries
spinning on a shared two-core machine made the BLAS-heavy ``optimize``
solver several times slower, and the Numba kernels are serial anyway. The
package is imported before any study module, hence before NumPy loads
BLAS, which reads these variables once.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
del _variable
