"""Resource restrictions from fake jobs and fake worker declarations."""

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snakemake_executor_plugin_dask.resources import (
    format_resources,
    job_demand,
    local_cluster_layout,
    place_job,
)


def fake_job(threads=1, **resources):
    return SimpleNamespace(threads=threads, resources=resources)


class TestJobDemand:
    def test_threads_and_memory(self):
        assert job_demand(fake_job(threads=4, mem_mb=3000)) == {"cpus": 4, "mem_mb": 3000}

    def test_without_memory_only_cpus(self):
        assert job_demand(fake_job(threads=2, disk_mb=100)) == {"cpus": 2}

    def test_zero_threads_still_take_one_cpu(self):
        assert job_demand(fake_job(threads=0)) == {"cpus": 1}

    @pytest.mark.parametrize("memory", ["<TBD>", "4G", True, 0, None])
    def test_memory_that_is_not_a_positive_number_is_ignored(self, memory):
        assert job_demand(fake_job(threads=1, mem_mb=memory)) == {"cpus": 1}

    def test_float_memory_is_truncated(self):
        assert job_demand(fake_job(mem_mb=1500.7)) == {"cpus": 1, "mem_mb": 1500}


class TestPlaceJob:
    WORKERS = [{"cpus": 1, "mem_mb": 2000}, {"cpus": 4, "mem_mb": 8000}]

    def test_fitting_job_is_restricted_on_both(self):
        placement = place_job({"cpus": 2, "mem_mb": 4000}, self.WORKERS)
        assert placement.restrictions == {"cpus": 2, "mem_mb": 4000}
        assert placement.error is None and not placement.unrestricted

    def test_job_larger_than_every_worker_is_refused_with_what_it_needs(self):
        placement = place_job({"cpus": 1, "mem_mb": 100000}, self.WORKERS)
        assert placement.restrictions == {}
        assert "mem_mb=100000" in placement.error
        assert "mem_mb=8000" in placement.error

    def test_resources_must_fit_on_one_worker(self):
        workers = [{"cpus": 4, "mem_mb": 1000}, {"cpus": 1, "mem_mb": 8000}]
        assert place_job({"cpus": 4, "mem_mb": 8000}, workers).error

    def test_workers_without_declared_resources_leave_jobs_unrestricted(self):
        placement = place_job({"cpus": 64, "mem_mb": 10**6}, [{}, {"GPU": 1}])
        assert placement.unrestricted
        assert placement.restrictions == {} and placement.error is None

    def test_only_declared_resources_restrict(self):
        placement = place_job({"cpus": 2, "mem_mb": 4000}, [{"cpus": 8}])
        assert placement.restrictions == {"cpus": 2}

    def test_no_workers_yet_restricts_on_everything_and_waits(self):
        placement = place_job({"cpus": 2, "mem_mb": 4000}, [])
        assert placement.restrictions == {"cpus": 2, "mem_mb": 4000}
        assert placement.error is None

    def test_clamping_caps_cpus_at_the_largest_worker(self):
        placement = place_job({"cpus": 16, "mem_mb": 100}, self.WORKERS, clamp_cpus=True)
        assert placement.restrictions == {"cpus": 4, "mem_mb": 100}

    def test_clamping_does_not_excuse_memory(self):
        assert place_job({"cpus": 1, "mem_mb": 10**6}, self.WORKERS, clamp_cpus=True).error

    @given(
        demand=st.fixed_dictionaries(
            {"cpus": st.integers(1, 16)}, optional={"mem_mb": st.integers(1, 10**5)}
        ),
        workers=st.lists(
            st.fixed_dictionaries(
                {}, optional={"cpus": st.integers(0, 16), "mem_mb": st.integers(0, 10**5)}
            ),
            max_size=4,
        ),
        clamp_cpus=st.booleans(),
    )
    def test_a_placement_is_either_refused_or_fits_some_worker(self, demand, workers, clamp_cpus):
        placement = place_job(demand, workers, clamp_cpus=clamp_cpus)
        restrictions = placement.restrictions
        if placement.error or placement.unrestricted or not workers:
            return
        assert set(restrictions) <= set(demand)
        assert any(
            all(worker.get(name, 0) >= amount for name, amount in restrictions.items())
            for worker in workers
        )

    @given(
        demand=st.fixed_dictionaries({"cpus": st.integers(1, 16), "mem_mb": st.integers(1, 10**5)}),
        workers=st.lists(
            st.fixed_dictionaries({"cpus": st.integers(0, 16), "mem_mb": st.integers(0, 10**5)}),
            min_size=1,
            max_size=4,
        ),
    )
    def test_refused_exactly_when_no_worker_has_room(self, demand, workers):
        room = any(w["cpus"] >= demand["cpus"] and w["mem_mb"] >= demand["mem_mb"] for w in workers)
        assert (place_job(demand, workers).error is None) == room


def test_format_resources_drops_needless_decimals():
    assert format_resources({"cpus": 2.0, "mem_mb": 1500.5}) == "cpus=2, mem_mb=1500.5"


class TestLocalClusterLayout:
    def test_default_is_one_worker_with_the_whole_machine(self):
        assert local_cluster_layout(cpu_count=8, memory_mb=16000) == (1, 8, 16000)

    def test_workers_split_the_machine(self):
        assert local_cluster_layout(cpu_count=8, memory_mb=16000, workers=2) == (2, 4, 8000)

    def test_explicit_values_win(self):
        layout = local_cluster_layout(
            8, 16000, workers=3, threads_per_worker=1, memory_per_worker_mb=500
        )
        assert layout == (3, 1, 500)

    def test_more_workers_than_cores_still_get_a_thread(self):
        assert local_cluster_layout(cpu_count=2, memory_mb=1000, workers=4) == (4, 1, 250)
