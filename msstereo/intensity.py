"""The images of a stereo pair as the energies see them: checked, and on one intensity scale in [0, 1].

Brightness constancy (eq. 4-5) compares the two views' values directly, so
both must be on one scale. Integer images are divided by the full scale of
their bit depth (`BIT_DEPTHS`), floats in [0, 1] are kept, floats holding
whole numbers are treated as integers, and other floats are stretched from
their joint minimum and maximum. `prepare_pair` says which rule it applied
in a one-line note that `msstereo.match` logs and keeps in its result.
"""

import math

import numpy as np

__all__ = ["MIN_SIZE", "BIT_DEPTHS", "as_float_image", "prepare_pair", "working_dtype"]


MIN_SIZE = 8
"""Smallest accepted image side, in pixels: below it there is no pyramid and
hardly a gradient to match."""


BIT_DEPTHS = (8, 10, 12, 14, 16)
"""Bit depths that integer data (and floats holding whole numbers) is taken to have:
the smallest that holds the brightest value sets the full scale, ``2^bits - 1``."""


def _check_image(image, name, channel_axis=-1):
    """``image`` as a plain ``(M, N, C)`` array of a supported dtype, or a ValueError naming ``name``.

    A 3-D image has its channels on ``channel_axis`` (None: it may not be 3-D).
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(image).__name__}")
    image = np.asarray(image)  # np.matrix and other subclasses index differently
    if image.ndim not in (2, 3):
        raise ValueError(f"{name} must have shape (M, N) or (M, N, C), got {image.shape}")
    if image.ndim == 3:
        if channel_axis is None:
            raise ValueError(f"{name} has shape {image.shape}, but channel_axis=None says the images "
                             "are gray (M, N); give the axis of its channels")
        image = np.moveaxis(image, channel_axis, -1)
        if image.shape[2] not in (1, 3):
            raise ValueError(f"{name} must have 1 or 3 channels on channel_axis={channel_axis}, got "
                             f"{image.shape[2]} (drop an alpha channel first)")
    if min(image.shape[:2]) < MIN_SIZE:
        raise ValueError(f"{name} is too small: {image.shape[:2]}, need at least "
                         f"{MIN_SIZE}x{MIN_SIZE} pixels")
    kind = image.dtype.kind
    if not (kind == "f" or (kind == "u" and image.dtype.itemsize <= 2)):
        raise ValueError(f"{name} has unsupported dtype {image.dtype}; use uint8, uint16 or float")
    if kind == "f" and not np.all(np.isfinite(image)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return image.reshape(image.shape[:2] + (-1,))


def _bit_depth(peak):
    """The smallest of `BIT_DEPTHS` whose full scale holds ``peak``, or None."""
    return next((bits for bits in BIT_DEPTHS if peak <= 2**bits - 1), None)


def _intensity_map(images, stretch=True):
    """``(offset, span, what)``: the affine map ``(x - offset) / span`` of ``images`` onto [0, 1].

    One map for all of ``images`` (of one kind), chosen from what they hold:
    integers are divided by the full scale of their bit depth (`BIT_DEPTHS`:
    a uint16 pair holding 8-bit values is divided by 255, not 65535); floats
    in [0, 1] are kept unless the whole pair is darker than one 8-bit level;
    floats holding whole numbers beyond 1 are integer data (``[0, 255]`` is
    divided by 255); any other floats are stretched from their minimum and
    maximum onto [0, 1] (None if not ``stretch``).
    """
    lo = min(float(x.min()) for x in images)
    hi = max(float(x.max()) for x in images)
    if images[0].dtype.kind == "u":
        bits = _bit_depth(hi)
        return 0.0, 2.0**bits - 1, f"{images[0].dtype} holding {bits}-bit values"
    if lo >= 0 and 1 / 255 <= hi <= 1:
        return 0.0, 1.0, "floats in [0, 1]"
    if lo >= 0 and hi > 1 and (bits := _bit_depth(hi)) and all(np.all(x == np.round(x)) for x in images):
        return 0.0, 2.0**bits - 1, f"floats holding {bits}-bit whole numbers"
    if not stretch:
        return None
    return lo, (hi - lo if hi > lo else 1.0), f"floats in [{lo:.3g}, {hi:.3g}], stretched"


def _halved_beyond_range(images):
    """Float images whose span overflows float64 (values near its limits), halved, and whether.

    The stretch of `_intensity_map` does not see a common scale, so halving
    both images changes nothing but keeps ``max - min`` finite.
    """
    if all(x.dtype.kind == "f" for x in images):
        span = max(float(x.max()) for x in images) - min(float(x.min()) for x in images)
        if not math.isfinite(span):
            return [x.astype(np.float64) / 2 for x in images], True
    return images, False


def _to_unit(image, offset, span, dtype):
    """``(image - offset) / span`` in ``dtype``, contiguous."""
    if image.dtype.kind == "u":
        out = image.astype(dtype) / dtype(span)  # exact integers: the working precision suffices
    elif offset == 0 and span == 1:
        out = image.astype(dtype)
    else:
        # In float64, so that float64 input beyond the float32 range does not become inf.
        out = ((image.astype(np.float64) - offset) / span).astype(dtype)
    return np.ascontiguousarray(out)


def working_dtype(dtype):
    """``dtype`` as np.float32 or np.float64, or a ValueError."""
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except TypeError:
        resolved = None
    # (np.dtype(None) is float64, and a dtype compares equal to None: test it first.)
    if resolved is None or resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return resolved.type


def as_float_image(image, name, dtype=np.float32):
    """Validate an image and convert it to ``(M, N, C)`` floats in [0, 1].

    Parameters
    ----------
    image : array_like, shape (M, N) or (M, N, C)
        Gray or colour image: uint8, uint16 (any byte order) or float.
    name : str
        Argument name, for error messages.
    dtype : dtype
        float32 or float64.

    Returns
    -------
    (M, N, C) ndarray of ``dtype``
        The image on the intensity scale of `_intensity_map`.

    Raises
    ------
    ValueError
        Wrong type, dtype, dimensions, size, or non-finite values.
    """
    (image,), _ = _halved_beyond_range([_check_image(image, name)])
    offset, span, _ = _intensity_map([image])
    return _to_unit(image, offset, span, working_dtype(dtype))


def _container(image):
    """What kind of data an image holds: integer images by dtype, floats all alike."""
    return "float" if image.dtype.kind == "f" else image.dtype.newbyteorder("=")


def prepare_pair(left, right, dtype, channel_axis=-1):
    """Both images on one intensity scale in [0, 1], and a line ``"intensity: ..."`` saying how.

    Images of one kind share one map (`_intensity_map`), so that brightness
    constancy holds between them. Images of different kinds (uint8 and
    uint16, or an integer and a float image) are each divided by their own
    full scale; a float image that is neither in [0, 1] nor whole numbers has
    none, and a pair whose mean brightness then differs more than 4 times is
    not on one scale: both are refused.
    """
    dtype = working_dtype(dtype)
    il, ir = _check_image(left, "left", channel_axis), _check_image(right, "right", channel_axis)
    if il.shape != ir.shape:
        raise ValueError(f"left and right must have the same shape, got {np.shape(left)} "
                         f"and {np.shape(right)}")
    if _container(il) == _container(ir):
        (il, ir), halved = _halved_beyond_range([il, ir])
        offset, span, what = _intensity_map([il, ir])
        note = f"intensity: {what}, ({'x / 2' if halved else 'x'} - {offset:g}) / {span:g}"
        return _to_unit(il, offset, span, dtype), _to_unit(ir, offset, span, dtype), note
    maps = [_intensity_map([image], stretch=False) for image in (il, ir)]
    for name, image, found in zip(("left", "right"), (il, ir), maps):
        if found is None:
            raise ValueError(f"left ({il.dtype}) and right ({ir.dtype}) cannot be put on one "
                             f"intensity scale: {name} holds floats in [{image.min():.3g}, "
                             f"{image.max():.3g}], which have no full scale of their own (neither in "
                             "[0, 1] with a maximum of at least 1/255 nor whole numbers); give both "
                             "one dtype and range")
    out = [_to_unit(image, offset, span, dtype) for image, (offset, span, _) in zip((il, ir), maps)]
    means = [max(float(x.mean()), 1 / 255) for x in out]
    if max(means) > 4 * min(means):
        raise ValueError(f"left ({il.dtype}, {maps[0][2]}) and right ({ir.dtype}, {maps[1][2]}) are "
                         f"not on one intensity scale: mean brightness {means[0]:.3g} against "
                         f"{means[1]:.3g}; give both one dtype and range")
    note = (f"intensity: left {maps[0][2]}, x / {maps[0][1]:g}; "
            f"right {maps[1][2]}, x / {maps[1][1]:g}")
    return out[0], out[1], note
