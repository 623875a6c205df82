"""One validation path for every parameter: numbers, integers, flags, choices.

Model parameters (`msstereo.Model`), solver options (`msstereo.PDE`,
`msstereo.Optimize`, `msstereo.Relax`), the arguments of `msstereo.match`
and evaluation thresholds are checked by the specs of this module, so that:

- a bad value is a `ValueError` that names the parameter;
- numpy scalars (``np.float32(0.05)``, ``np.int64(3)``) count as numbers and
  are stored as Python ``float``/``int``; ``True`` is not a number, and a
  string is not one either;
- every real parameter is 0 or has a magnitude in ``[TINY, HUGE]``, so that
  its square and the reciprocal of its square are normal float32 numbers:
  the kernels compute ``sqrt(s^2 + eta^2)``, ``1 / sigma^2`` and the like in
  the working precision, and a smaller value would underflow to a division
  by zero, a larger one overflow to ``inf``;
- every integer that sets an amount of work (iterations, sweeps, filter
  radii) has an upper bound as well as a lower one, so that a typo such as
  ``iterations=60000`` is refused at once instead of running for hours;
- the command line parses ``NAME=VALUE`` text with the same rules
  (`Spec.parse`), so string fields can be set there too, and an unknown name
  is refused with the nearest valid one (`did_you_mean`), as `msstereo.match`
  refuses an unknown keyword.
"""

from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["TINY", "HUGE", "Real", "Integer", "Flag", "Choice", "Text", "Optional",
           "check_fields", "parse_field", "settable", "did_you_mean"]

TINY = math.sqrt(float(np.finfo(np.float32).tiny))
"""Smallest nonzero magnitude of a real parameter, about 1.1e-19."""

HUGE = 1.0 / TINY
"""Largest magnitude of a real parameter, about 9.2e18."""


def _is_number(value):
    # bool is an int to Python, and numpy's bool is not, but neither is a number here.
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _interval(low, high, open_low, open_high):
    """Text such as ``in (0, 2)`` or ``>= 0``."""
    if low <= -HUGE and (high is None or high >= HUGE):
        return f"of magnitude <= {HUGE:.2g}"
    if high is None or high == HUGE:
        return f"{'>' if open_low else '>='} {low:g}"
    return f"in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"


def _converted(text, convert, spec, name):
    """``convert(text)`` checked by ``spec``; a ValueError naming ``name`` if it does not convert."""
    try:
        value = convert(text)
    except ValueError:
        raise ValueError(f"{name} must be {spec.describe()}, got {text!r}") from None
    return spec(value, name)


@dataclass(frozen=True)
class Real:
    """A finite real number in an interval; zero or of magnitude in ``[TINY, HUGE]``."""

    low: float = 0.0
    high: float = HUGE
    open_low: bool = False
    open_high: bool = False

    def describe(self):
        """What the parameter must be, for error messages."""
        return f"a finite number {_interval(self.low, self.high, self.open_low, self.open_high)}"

    def __call__(self, value, name):
        """``value`` as a float, or a ValueError naming ``name``."""
        if not _is_number(value) or not math.isfinite(float(value)):
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}")
        value = float(value)
        if (value < self.low or (self.open_low and value == self.low)
                or value > self.high or (self.open_high and value == self.high)):
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}")
        if value != 0 and not TINY <= abs(value) <= HUGE:
            what = "in" if self.open_low and self.low == 0 else "0 or of magnitude in"
            raise ValueError(f"{name} must be {what} [{TINY:.2g}, {HUGE:.2g}] (beyond, float32 "
                             f"arithmetic underflows or overflows), got {value!r}")
        return value

    def parse(self, text, name):
        """``text`` as a float checked by this spec."""
        return _converted(text, float, self, name)


def positive(high=HUGE):
    """A `Real` that must be > 0 (a scale that is divided by or squared)."""
    return Real(0.0, high, open_low=True)


@dataclass(frozen=True)
class Integer:
    """An integer ``>= low`` (and ``<= high``), or one of ``choices``."""

    low: int = 0
    high: int | None = None
    choices: tuple = ()

    def describe(self):
        """What the parameter must be, for error messages."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        return f"an integer {_interval(self.low, self.high, False, False)}"

    def __call__(self, value, name):
        """``value`` as an int, or a ValueError naming ``name``."""
        ok = isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))
        if ok:
            value = int(value)
            ok = value in self.choices if self.choices else (
                value >= self.low and (self.high is None or value <= self.high))
        if not ok:
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}")
        return value

    def parse(self, text, name):
        """``text`` as an int checked by this spec."""
        return _converted(text, int, self, name)


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Flag:
    """``True`` or ``False`` (numpy's bool too); text: true/false, yes/no, on/off, 1/0."""

    def __call__(self, value, name):
        """``value`` as a bool, or a ValueError naming ``name``."""
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False, got {value!r}")
        return bool(value)

    def parse(self, text, name):
        """``text`` as a bool."""
        word = text.strip().lower()
        if word not in _TRUE + _FALSE:
            raise ValueError(f"{name} must be true or false, got {text!r}")
        return word in _TRUE


@dataclass(frozen=True)
class Choice:
    """One of a few strings."""

    options: tuple

    def __call__(self, value, name):
        """``value`` if it is one of the options, else a ValueError naming ``name``."""
        if not (isinstance(value, str) and value in self.options):
            raise ValueError(f"{name} must be one of {', '.join(map(repr, self.options))}, got {value!r}")
        return value

    def parse(self, text, name):
        """``text`` checked by this spec."""
        return self(text, name)


@dataclass(frozen=True)
class Text:
    """Any string (names).

    ``settable=False``: a field that names the object (a model's ``name``),
    set by whoever makes it and not a parameter to override or parse: it is
    checked, but `parse_field` refuses it and `settable` leaves it out.
    """

    settable: bool = True

    def __call__(self, value, name):
        """``value`` if it is a string, else a ValueError naming ``name``."""
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {value!r}")
        return value

    def parse(self, text, name):
        """``text`` itself."""
        return text


@dataclass(frozen=True)
class Optional:
    """``None`` or a value of another spec; text ``none`` is None."""

    spec: object

    def __call__(self, value, name):
        """None, or ``value`` checked by the inner spec."""
        return None if value is None else self.spec(value, name)

    def parse(self, text, name):
        """None for ``none``, else the inner spec's parse."""
        return None if text.strip().lower() == "none" else self.spec.parse(text, name)


def check_fields(obj, specs, label):
    """Check and normalize every field of a frozen dataclass in place.

    Parameters
    ----------
    obj : dataclass instance
        Its fields are replaced by the checked values (numpy scalars become
        Python numbers), also when the dataclass is frozen.
    specs : dict
        Spec of each field, by name; every field must have one.
    label : str
        Start of the name in messages, e.g. ``"model parameter"`` gives
        ``model parameter 'beta' must be ...``.

    Raises
    ------
    ValueError
        For the first field whose value its spec refuses.
    """
    for f in fields(obj):
        value = specs[f.name](getattr(obj, f.name), f"{label} {f.name!r}")
        object.__setattr__(obj, f.name, value)


def settable(specs):
    """The names of ``specs`` (a ``FIELD_SPECS``) that can be set, sorted: all but those a spec marks fixed."""
    return sorted(name for name, spec in specs.items() if getattr(spec, "settable", True))


def did_you_mean(name, names):
    """``"did you mean 'beta'?"`` for the one of ``names`` nearest to ``name``, or None if none is near.

    The one hint for a misspelt name, whether a keyword of `msstereo.match`
    (`msstereo.solvers.check_parameters`) or a ``NAME=VALUE`` of the command
    line (`parse_field`).
    """
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.7)
    return f"did you mean {close[0]!r}?" if close else None


def parse_field(cls, name, text, label):
    """``text`` parsed by the spec of field ``name`` of ``cls`` (its ``FIELD_SPECS``).

    Raises
    ------
    ValueError
        If ``cls`` has no such settable field (naming the nearest one, or
        listing them) or the text is not a valid value.
    """
    specs = cls.FIELD_SPECS
    names = settable(specs)
    if name in specs and name not in names:
        raise ValueError(f"{label} {name!r} cannot be set")
    if name not in names:
        raise ValueError(f"unknown {label} {name!r}; {did_you_mean(name, names) or 'valid: ' + ', '.join(names)}")
    return specs[name].parse(text, f"{label} {name!r}")
