"""The view threads of `msstereo.parallel`."""

import threading

from msstereo.parallel import map_views, using_threads


def test_each_view_keeps_its_thread_inside_a_block():
    # One thread per view for the whole block, so that each view allocates from one heap.
    with using_threads(2):
        runs = [map_views(lambda view: (view, threading.get_ident()), "lr") for _ in range(3)]
    assert all(run == runs[0] for run in runs)
    assert [view for view, _ in runs[0]] == ["l", "r"]
    assert len({ident for _, ident in runs[0]} | {threading.get_ident()}) == 3


def test_map_views_keeps_the_order_and_runs_serially_on_one_thread():
    assert map_views(lambda x: 2 * x, [1, 2, 3]) == [2, 4, 6]
    with using_threads(1):
        assert map_views(lambda x: threading.get_ident(), "lr") == [threading.get_ident()] * 2
