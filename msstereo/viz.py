"""Colour images and figures of disparity maps, errors and occlusion.

:func:`colorize`, :func:`error_map`, :func:`error_colors`, :func:`error_legend`
and :func:`occlusion_overlay` return arrays and need only NumPy (and Pillow for
the legend's text): the command line writes the disparity colours and the
error map with its legend as PNG. The
``show_*`` functions and :func:`plot_result` draw on Matplotlib axes;
Matplotlib is optional and imported only when one of them is called
(``pip install "msstereo[notebooks]"``).

Every disparity image, array or figure, uses one exact colour table, Turbo
(:data:`TURBO`), with the same range convention (see :func:`colorize`).
"""

from __future__ import annotations

import numpy as np

from ._turbo import TURBO as _TURBO_TUPLE
from .evaluate import bad_pixels

__all__ = [
    "TURBO", "colorize", "error_map", "error_colors", "error_legend", "occlusion_overlay", "turbo_cmap",
    "show_disparity", "show_error", "show_discontinuity", "show_occlusion", "show_confidence", "plot_result",
]

#: The Turbo colour table, float64 RGB in [0, 1], shape (256, 3).
TURBO = np.array(_TURBO_TUPLE, dtype=np.float64)
TURBO.flags.writeable = False

_LUT = np.round(TURBO * 255).astype(np.uint8)

MATPLOTLIB_MISSING = 'msstereo.viz figures need matplotlib: pip install "msstereo[notebooks]"'

# Colours of occlusion_overlay: predicted and true, predicted only, missed.
_HIT, _FALSE_ALARM, _MISSED = (0.1, 0.75, 0.2), (0.9, 0.1, 0.1), (0.15, 0.35, 0.95)


def _pyplot():
    """matplotlib.pyplot, or ImportError naming the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(MATPLOTLIB_MISSING) from error
    return plt


def _as_field(array, name):
    """`array` as a 2-D float64 array; ValueError naming `name` otherwise."""
    array = np.asarray(array)
    if array.ndim != 2 or array.dtype.kind not in "fiub":
        raise ValueError(f"{name} must be a real (H, W) array, got shape {array.shape} "
                         f"and dtype {array.dtype}")
    return array.astype(np.float64)


def _limits(values, vmin, vmax):
    """The colour range: `vmin`, `vmax`, or the finite extremes of `values`."""
    finite = values[np.isfinite(values)]
    if vmin is None:
        vmin = float(finite.min()) if finite.size else 0.0
    if vmax is None:
        vmax = float(finite.max()) if finite.size else 1.0
    return float(vmin), float(vmax)


def _levels(values, vmin, vmax, n):
    """Table index of each value, as Matplotlib's colour maps index it.

    ``floor(n * (value - vmin) / (vmax - vmin))`` clipped to ``[0, n-1]``,
    so a PNG and a Matplotlib figure of one map with one range agree pixel
    for pixel. A range of zero width maps everything to entry 0.
    """
    span = vmax - vmin if vmax > vmin else 1.0
    scaled = np.clip((values - vmin) / span, 0.0, 1.0)
    return np.minimum(np.floor(scaled * n), n - 1).astype(np.intp)


def colorize(disparity, vmin=None, vmax=None):
    """Map a disparity map to RGB colours with the Turbo table.

    Range convention: pass the disparity range that was searched,
    ``vmin=d_min`` and ``vmax=d_max`` of `msstereo.match` (``0`` and
    ``ndisp`` for a Middlebury scene), so that every map of one scene
    (estimates of any method, ground truth, left and right views) shares
    one colour scale and a colour means the same disparity in each. The
    defaults, the map's own finite minimum and maximum, are for maps
    whose range is unknown; they stretch each map to the full table.

    Parameters
    ----------
    disparity : array_like, shape (H, W)
        Disparity map; non-finite values (unknown) are drawn black.
    vmin, vmax : float, optional
        Values mapped to the two ends of the table (Turbo's dark blue and
        dark red); values outside are clipped to the ends.

    Returns
    -------
    image : ndarray of uint8, shape (H, W, 3)
        RGB image, ready for :func:`msstereo.io.write_png`. Entry ``i`` of
        :data:`TURBO` (rounded to 8 bits) colours the values in
        ``[vmin + i w, vmin + (i + 1) w)``, ``w = (vmax - vmin) / 256``, as
        Matplotlib's ``imshow(..., cmap="turbo", vmin=vmin, vmax=vmax)``
        colours them.

    Raises
    ------
    ValueError
        If `disparity` is not a real 2-D array.
    """
    disparity = _as_field(disparity, "disparity")
    finite = np.isfinite(disparity)
    vmin, vmax = _limits(disparity, vmin, vmax)
    levels = np.zeros(disparity.shape, dtype=np.intp)
    levels[finite] = _levels(disparity[finite], vmin, vmax, len(_LUT))
    image = _LUT[levels]
    image[~finite] = 0
    return image


def error_map(disparity, gt, mask=None):
    """Absolute disparity error where it is evaluated.

    Parameters
    ----------
    disparity : array_like, shape (H, W)
        Estimated disparity; non-finite values are no estimate.
    gt : array_like, shape (H, W)
        Ground truth; non-finite values are unknown.
    mask : array_like of bool, shape (H, W), optional
        Pixels to evaluate (e.g. ``scene.masks["nonocc"]``); all by default.

    Returns
    -------
    error : ndarray of float64, shape (H, W)
        ``|disparity - gt|``; ``inf`` where the estimate is missing (always
        bad, as in `msstereo.evaluate`), ``nan`` where the pixel is not
        evaluated (unknown ground truth or outside `mask`).

    Raises
    ------
    ValueError
        If the arrays are not 2-D or their shapes differ.
    """
    disparity, gt = _as_field(disparity, "disparity"), _as_field(gt, "gt")
    evaluated = np.isfinite(gt)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != gt.shape:
            raise ValueError(f"mask shape {mask.shape} does not match gt shape {gt.shape}")
        evaluated &= mask
    if disparity.shape != gt.shape:
        raise ValueError(f"disparity shape {disparity.shape} does not match gt shape {gt.shape}")
    with np.errstate(invalid="ignore"):
        error = np.abs(disparity - gt)
    error[~np.isfinite(disparity)] = np.inf
    error[~evaluated] = np.nan
    return error


# Colours of error_colors, as show_error draws them: light grays up to the threshold, yellow to
# dark red (YlOrRd) up to 4 thresholds and for missing estimates, pale blue where nothing is
# evaluated.
_BAD_STOPS = ((0.0, (254, 217, 118)), (0.5, (227, 26, 28)), (1.0, (128, 0, 38)))
_NOT_EVALUATED = (199, 222, 242)

LEGEND_HEIGHT = 34
"""Rows of the strip of :func:`error_legend`."""

LEGEND_MIN_WIDTH = 280
"""Columns :func:`error_legend` needs for its labels: a narrower map is widened to it."""

_LEGEND_BACKGROUND, _LEGEND_TEXT = (48, 48, 48), (240, 240, 240)


def error_colors(error, threshold):
    """RGB colours of an :func:`error_map`, as :func:`show_error` draws it, without Matplotlib.

    Parameters
    ----------
    error : ndarray, shape (H, W)
        Absolute errors (`error_map`): ``inf`` for a missing estimate,
        ``nan`` where the pixel is not evaluated.
    threshold : float
        Bad-pixel threshold, pixels (> 0).

    Returns
    -------
    rgb : ndarray of uint8, shape (H, W, 3)
        White to light gray up to `threshold`; yellow to dark red from it
        to 4 thresholds, darkest red beyond and for missing estimates; pale
        blue where not evaluated.
    """
    ratio = np.asarray(error, np.float64) / threshold
    rgb = np.empty(ratio.shape + (3,))
    good = ratio <= 1
    rgb[good] = 255 * (1.0 - 0.28 * ratio[good])[:, None]
    bad = ratio > 1  # inf (no estimate) included; nan (not evaluated) in neither
    t = np.minimum((ratio[bad] - 1) / 3, 1.0)
    stops, colours = zip(*_BAD_STOPS)
    rgb[bad] = np.stack([np.interp(t, stops, channel) for channel in zip(*colours)], axis=1)
    rgb[np.isnan(ratio)] = _NOT_EVALUATED
    return np.round(rgb).astype(np.uint8)


def _font():
    """Pillow's built-in font at a small size (its bitmap font where FreeType is missing)."""
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=11)
    except (TypeError, ValueError, OSError, ImportError):
        return ImageFont.load_default()


def error_legend(width, threshold):
    """The legend of :func:`error_colors`: a strip to put below an error map.

    A colour bar of the errors from 0 to 4 thresholds in the colours of
    :func:`error_colors`, ticked and labelled (pixels) at 0, 1, 2 and 4
    thresholds, and swatches of the colours of the pixels without an
    error: pale blue, not evaluated; darkest red, no estimate. White text on
    dark gray, which no pixel of the map has.

    Parameters
    ----------
    width : int
        Width of the map; the strip is `LEGEND_MIN_WIDTH` wide at least.
    threshold : float
        Bad-pixel threshold, pixels (> 0).

    Returns
    -------
    strip : ndarray of uint8, shape (LEGEND_HEIGHT, max(width, LEGEND_MIN_WIDTH), 3)
    """
    from PIL import Image, ImageDraw

    width = max(int(width), LEGEND_MIN_WIDTH)
    image = Image.new("RGB", (width, LEGEND_HEIGHT), _LEGEND_BACKGROUND)
    draw, font = ImageDraw.Draw(image), _font()

    def size(text):
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        return right - left, bottom - top

    # Right: what the colours without an error mean, one swatch a row.
    captions = (("not evaluated", _NOT_EVALUATED), ("no estimate", _BAD_STOPS[-1][1]))
    swatch_x = width - 6 - max(size(text)[0] for text, _ in captions) - 16
    for row, (text, colour) in enumerate(captions):
        y = 4 + 15 * row
        draw.rectangle((swatch_x, y, swatch_x + 11, y + 10), fill=colour)
        draw.text((swatch_x + 16, y - 1), text, fill=_LEGEND_TEXT, font=font)
    # Left: the colour bar over 0 to 4 thresholds, its ticks and labels.
    x0, x1 = 8, swatch_x - 22
    ratios = 4.0 * (np.arange(x1 - x0) + 0.5) / (x1 - x0)
    bar = error_colors(np.repeat(ratios[None, :] * threshold, 10, axis=0), threshold)
    image.paste(Image.fromarray(bar), (x0, 4))
    for k in (0, 1, 2, 4):
        x = x0 + round(k / 4 * (x1 - x0 - 1))
        draw.line((x, 14, x, 17), fill=_LEGEND_TEXT)
        text = f"{k * threshold:g}" + (" px" if k == 4 else "")
        w = size(text)[0]
        draw.text((min(max(x - w // 2, 2), x1 - w + 12), 19), text, fill=_LEGEND_TEXT, font=font)
    return np.asarray(image, np.uint8).copy()


def _gray(image):
    """`image` (gray or RGB, any integer or float type) as gray floats in [0, 1]."""
    image = np.asarray(image)
    top = float(np.iinfo(image.dtype).max) if image.dtype.kind in "ui" else 1.0
    if image.ndim == 3:
        image = image[..., :3].mean(axis=2)
    return np.clip(image / top, 0.0, 1.0)


def occlusion_overlay(image, occlusion, reference=None, alpha=0.6):
    """An image in gray with occluded pixels tinted.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, 3)
        The view the occlusion map belongs to (usually the left image),
        integer or float in [0, 1].
    occlusion : array_like of bool, shape (H, W)
        Pixels estimated occluded (``result.occlusion``).
    reference : array_like of bool, shape (H, W), optional
        True occlusion (``scene.occlusion``). Without it every estimated
        pixel is red; with it, pixels estimated and truly occluded are
        green, estimated only red (false alarms), truly occluded only blue
        (missed).
    alpha : float, optional
        Opacity of the tint.

    Returns
    -------
    overlay : ndarray of uint8, shape (H, W, 3)

    Raises
    ------
    ValueError
        If the shapes differ.
    """
    gray = _gray(image)
    occlusion = np.asarray(occlusion, dtype=bool)
    if occlusion.shape != gray.shape or (reference is not None and np.shape(reference) != gray.shape):
        raise ValueError(f"image {gray.shape}, occlusion {occlusion.shape} and reference "
                         f"{None if reference is None else np.shape(reference)} must have one shape")
    rgb = np.repeat(gray[..., None], 3, axis=2)
    if reference is None:
        tints = [(occlusion, _FALSE_ALARM)]
    else:
        reference = np.asarray(reference, dtype=bool)
        tints = [(occlusion & reference, _HIT), (occlusion & ~reference, _FALSE_ALARM),
                 (~occlusion & reference, _MISSED)]
    for where, colour in tints:
        rgb[where] = (1 - alpha) * rgb[where] + alpha * np.asarray(colour)
    return np.round(rgb * 255).astype(np.uint8)


# --------------------------------------------------------------------------
# Figures (Matplotlib)
# --------------------------------------------------------------------------


def _axes(ax):
    plt = _pyplot()
    return plt, (plt.gca() if ax is None else ax)


def turbo_cmap():
    """The Turbo table as a Matplotlib colour map, non-finite values black.

    Returns
    -------
    matplotlib.colors.ListedColormap
    """
    _pyplot()
    from matplotlib.colors import ListedColormap

    return ListedColormap(TURBO, name="msstereo_turbo").with_extremes(bad="black")


def show_disparity(disparity, ax=None, *, vmin=None, vmax=None, title=None, colorbar=True):
    """Draw a disparity map in the colours of :func:`colorize`, with a colour bar.

    Parameters
    ----------
    disparity : array_like, shape (H, W)
        Disparity in pixels; non-finite values (unknown) are drawn black.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; the current axes by default.
    vmin, vmax : float, optional
        Colour range, as in :func:`colorize` (pass the searched range,
        ``0`` and ``ndisp`` on a Middlebury scene, to compare maps).
    title : str, optional
        Axes title.
    colorbar : bool, optional
        Add a colour bar labelled with the range.

    Returns
    -------
    matplotlib.image.AxesImage

    Raises
    ------
    ImportError
        If Matplotlib is not installed.
    """
    plt, ax = _axes(ax)
    disparity = _as_field(disparity, "disparity")
    vmin, vmax = _limits(disparity, vmin, vmax)
    image = ax.imshow(np.ma.masked_invalid(disparity), cmap=turbo_cmap(), vmin=vmin,
                      vmax=max(vmax, vmin + 1e-9), interpolation="nearest")
    _finish(ax, title)
    if colorbar:
        bar = plt.colorbar(image, ax=ax, fraction=0.046, pad=0.02)
        bar.set_label(f"disparity (px), {vmin:g} to {vmax:g}")
    return image


def _error_cmap(threshold, vmax):
    """Light grays up to `threshold` (good), yellow to dark red above it (bad)."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    n_good = int(np.clip(round(256 * threshold / vmax), 1, 255))
    good = np.linspace(1.0, 0.72, n_good)[:, None].repeat(3, axis=1)
    bad = colormaps["YlOrRd"](np.linspace(0.25, 1.0, 256 - n_good))[:, :3]
    # Not evaluated: pale blue.
    return ListedColormap(np.vstack([good, bad]), name="msstereo_error").with_extremes(
        bad=(0.78, 0.87, 0.95))


def show_error(disparity, gt, ax=None, *, mask=None, threshold=1.0, vmax=None, title=None,
               colorbar=True):
    """Draw the absolute error against ground truth, bad pixels in colour.

    Errors up to `threshold` are white to light gray, larger ones yellow to
    dark red (saturating at `vmax`), missing estimates dark red, pixels not
    evaluated (unknown ground truth, outside `mask`) pale blue. The title
    gives the bad-pixel percentage of `msstereo.evaluate.bad_pixels`.

    Parameters
    ----------
    disparity, gt : array_like, shape (H, W)
        Estimate and ground truth (non-finite = none / unknown).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; the current axes by default.
    mask : array_like of bool, shape (H, W), optional
        Pixels evaluated, e.g. ``scene.masks["nonocc"]``; all with ground
        truth by default.
    threshold : float, optional
        A pixel is bad if its error exceeds this (pixels).
    vmax : float, optional
        Error drawn in the darkest red; ``4 * threshold`` by default.
    title : str, optional
        Text before the bad-pixel percentage in the title.
    colorbar : bool, optional
        Add a colour bar with the threshold marked.

    Returns
    -------
    percent : float
        Bad pixels in percent of the evaluated pixels.

    Raises
    ------
    ImportError
        If Matplotlib is not installed.
    ValueError
        If the shapes differ or `threshold` is not positive.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    vmax = 4.0 * threshold if vmax is None else float(vmax)
    plt, ax = _axes(ax)
    error = error_map(disparity, gt, mask)
    percent = bad_pixels(disparity, gt, mask, threshold)
    shown = np.ma.masked_invalid(np.where(np.isinf(error), vmax, error))
    image = ax.imshow(shown, cmap=_error_cmap(threshold, vmax), vmin=0.0, vmax=vmax,
                      interpolation="nearest")
    _finish(ax, f"{title + ': ' if title else ''}bad {threshold:g} px {percent:.2f}%")
    if colorbar:
        bar = plt.colorbar(image, ax=ax, fraction=0.046, pad=0.02)
        bar.ax.axhline(threshold, color="black", lw=1)
        bar.set_label(f"|error| (px), bad above {threshold:g}")
    return percent


def show_discontinuity(v, ax=None, *, title=None, colorbar=True):
    """Draw a discontinuity function (``result.v``, ``v_image``) in gray, 0 black.

    Parameters
    ----------
    v : array_like, shape (H, W)
        Values in [0, 1]: about 0 on edges, 1 elsewhere.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; the current axes by default.
    title : str, optional
        Axes title.
    colorbar : bool, optional
        Add a colour bar.

    Returns
    -------
    matplotlib.image.AxesImage

    Raises
    ------
    ImportError
        If Matplotlib is not installed.
    """
    return _show_unit(v, "v", "v (0 = edge)", ax, title, colorbar)


def _show_unit(values, name, label, ax, title, colorbar):
    """Draw a map of values in [0, 1] named ``name`` in gray, its colour bar labelled ``label``."""
    plt, ax = _axes(ax)
    image = ax.imshow(_as_field(values, name), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    _finish(ax, title)
    if colorbar:
        plt.colorbar(image, ax=ax, fraction=0.046, pad=0.02).set_label(label)
    return image


def show_confidence(confidence, ax=None, *, title=None, colorbar=True):
    """Draw a confidence map (``result.confidence``) in gray, 0 black, 1 white.

    Parameters
    ----------
    confidence : array_like, shape (H, W)
        Values in [0, 1], the probability of a disparity within 1 px.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; the current axes by default.
    title : str, optional
        Axes title.
    colorbar : bool, optional
        Add a colour bar.

    Returns
    -------
    matplotlib.image.AxesImage

    Raises
    ------
    ImportError
        If Matplotlib is not installed.
    """
    return _show_unit(confidence, "confidence", "P(within 1 px)", ax, title, colorbar)


def show_occlusion(image, occlusion, ax=None, *, reference=None, title=None, legend=True):
    """Draw :func:`occlusion_overlay` with a legend of its colours.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, 3)
        The view the occlusion map belongs to.
    occlusion : array_like of bool, shape (H, W)
        Estimated occlusion.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; the current axes by default.
    reference : array_like of bool, shape (H, W), optional
        True occlusion: colours hits, false alarms and misses apart.
    title : str, optional
        Axes title.
    legend : bool, optional
        Add a legend below the image.

    Returns
    -------
    matplotlib.image.AxesImage

    Raises
    ------
    ImportError
        If Matplotlib is not installed.
    """
    _, ax = _axes(ax)
    from matplotlib.patches import Patch

    shown = ax.imshow(occlusion_overlay(image, occlusion, reference), interpolation="nearest")
    _finish(ax, title)
    if legend:
        entries = ([("occluded", _FALSE_ALARM)] if reference is None else
                   [("found", _HIT), ("false", _FALSE_ALARM), ("missed", _MISSED)])
        ax.legend(handles=[Patch(color=c, label=label) for label, c in entries], loc="upper center",
                  bbox_to_anchor=(0.5, 0.0), ncol=len(entries), fontsize="small", frameon=False)
    return shown


def _finish(ax, title):
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize="medium")


def _blank(ax, text):
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


def plot_result(result, scene=None, axes=None, *, threshold=1.0, vmin=None, vmax=None, label=None):
    """One row of four panels: disparity, error, discontinuity function, occlusion.

    Panels a model does not estimate say so (``v`` for ``ms-*`` models,
    ``v_image`` is shown for ``tv-edge``; occlusion for ``ms-occ`` and
    ``default``); the error panel needs a scene with ground truth.

    Parameters
    ----------
    result : StereoResult
        What `msstereo.match` returned.
    scene : Scene, optional
        The scene matched: its ground truth and ``nonocc`` mask score the
        error panel, its true occlusion the occlusion panel, and its
        ``ndisp`` sets the colour range.
    axes : sequence of 4 matplotlib.axes.Axes, optional
        Where to draw; a new 1 x 4 figure by default.
    threshold : float, optional
        Bad-pixel threshold of the error panel (pixels).
    vmin, vmax : float, optional
        Colour range of the disparity; ``0`` and ``scene.ndisp`` by
        default with a scene, else the map's extremes.
    label : str, optional
        Text before each panel title (e.g. the model name).

    Returns
    -------
    axes : sequence of matplotlib.axes.Axes

    Raises
    ------
    ImportError
        If Matplotlib is not installed.
    """
    plt = _pyplot()
    if axes is None:
        _, axes = plt.subplots(1, 4, figsize=(16, 3.4), layout="constrained")
    prefix = f"{label}: " if label else ""
    if scene is not None and scene.ndisp is not None:
        vmin = 0.0 if vmin is None else vmin
        vmax = float(scene.ndisp) if vmax is None else vmax
    show_disparity(result.disparity, axes[0], vmin=vmin, vmax=vmax, title=f"{prefix}disparity")
    if scene is not None and scene.disparity is not None:
        mask, where = (scene.masks["nonocc"], "nonocc") if "nonocc" in scene.masks else (None, "all")
        show_error(result.disparity, scene.disparity, axes[1], mask=mask, threshold=threshold,
                   title=f"{prefix}{where}")
    else:
        _blank(axes[1], "no ground truth")
    v, name = (result.v, "v") if result.v is not None else (result.v_image, "v_image")
    if v is not None:
        show_discontinuity(v, axes[2], title=f"{prefix}{name}")
    else:
        _blank(axes[2], f"{prefix}no discontinuity function")
    if result.occlusion is not None:
        reference = scene.occlusion if scene is not None else None
        # Without the scene's image, tint a plain light background.
        image = scene.left if scene is not None else np.full(result.occlusion.shape, 0.8)
        show_occlusion(image, result.occlusion, axes[3], reference=reference,
                       title=f"{prefix}occlusion")
    else:
        _blank(axes[3], f"{prefix}no occlusion model")
    return axes
