"""The CUDA device (brian2cuda's ``cuda_standalone``, an optional extra on Python 3.12+).

No GPU is needed: the project of a network is generated without compiling it, and the
checks that decide whether the device can run are given a GPU and a compiler by hand.
"""
import numpy as np
import pytest

from stdp_learn.config import ConfigError, NetworkParams
from stdp_learn.network import input_delays
from stdp_learn.plasticity import PairSTDP
from stdp_learn.simulation import StandaloneSimulator, check_device

N_INPUT, N_NEURONS, N_SLOTS = 784, 5, 4
PARAMS = NetworkParams()


def test_cuda_device_takes_only_its_own_spike_queue(build_root):
    with pytest.raises(ConfigError, match="brian2cuda's spike queue"):
        StandaloneSimulator(N_INPUT, N_NEURONS, PARAMS, PairSTDP(), N_SLOTS, build_root=build_root,
                            spike_queue="sorted", device="cuda_standalone")
    with pytest.raises(ConfigError, match="device must be one of"):
        StandaloneSimulator(N_INPUT, N_NEURONS, PARAMS, PairSTDP(), N_SLOTS, build_root=build_root,
                            device="genn")


@pytest.fixture
def gputools():
    """brian2cuda's GPU and toolkit detection, whose findings are forgotten afterwards."""
    pytest.importorskip("brian2cuda")
    from brian2cuda.utils import gputools

    yield gputools
    gputools.reset_gpu_selection()
    gputools.reset_cuda_installation()


@pytest.fixture
def cuda_without_gpu(gputools, tmp_path):
    """brian2cuda's preferences for generating code on a machine without a GPU or nvcc."""
    from stdp_learn.backend import brian2_preferences

    backend = "devices__cuda_standalone__cuda_backend__"
    with brian2_preferences(**{
        backend + "detect_gpus": False, backend + "gpu_id": 0, backend + "compute_capability": 8.0,
        backend + "detect_cuda": False, backend + "cuda_path": str(tmp_path / "no-cuda"),
        backend + "cuda_runtime_version": 12.0,
    }):
        yield


def test_cuda_project_of_the_network_is_generated_without_a_gpu(cuda_without_gpu, tmp_path):
    from pathlib import Path

    import stdp_learn
    from brian2 import get_device

    simulator = StandaloneSimulator(N_INPUT, N_NEURONS, PARAMS, PairSTDP(), N_SLOTS,
                                    build_root=tmp_path / "builds", device="cuda_standalone")
    assert simulator.spike_queue == "brian2"
    delays = input_delays(N_INPUT, N_NEURONS, PARAMS, np.random.default_rng(0))
    simulator.generate(delays)
    project = simulator.build_dir
    assert get_device().__class__.__name__ == "RuntimeDevice"  # nothing left to run
    assert simulator.handle is None

    code_objects = project / "code_objects"
    # every object of the network, the custom "inhibition" event's thresholder among them
    for name in ("schedule_step", "schedule_inhibition_thresholder", "lateral_inhibition_pre",
                 "input_exc_pre", "input_exc_post", "input_exc_normalise", "input_slot_start",
                 "exc_stateupdater", "responses", "schedule_log"):
        assert (code_objects / f"{name}_codeobject.cu").is_file(), name
    # end_block: the GPU marks the block over, the host stops the network after the step
    schedule_step = (code_objects / "schedule_step_codeobject.cu").read_text()
    assert "end_block(" in schedule_step and "_end_block_done = 1" in schedule_step
    assert "Network::_globally_stopped = true" in schedule_step
    # the step's other operations stop nothing
    assert "_globally_stopped" not in (code_objects / "input_slot_start_codeobject.cu").read_text()
    # our functions in their CUDA versions
    assert "__host__ __device__ static inline double memo_exp" in (
        code_objects / "exc_stateupdater_codeobject.cu").read_text()
    assert "__host__ __device__ static inline double spike_trace" in (
        code_objects / "input_exc_pre_codeobject.cu").read_text()
    assert "__host__ __device__ static inline double repeated_add" in (
        code_objects / "lateral_inhibition_pre_codeobject.cu").read_text()

    main = (project / "main.cu").read_text()
    # the delay copy, then the cuRAND seed from the block's variable, before the network runs
    delay_copy = main.index("brian::_dynamic_array_input_exc_delay[k] = "
                            "brian::_dynamic_array_input_exc_axonal_delay[k];")
    seed = main.index("brian::random_number_buffer.set_seed((unsigned long long) "
                      "brian::_array_schedule_random_seed[0]);")
    assert main.index("set_from_command_line(args);") < delay_copy < seed
    assert seed < main.index("_before_run_input_exc_pre_push_spikes();")
    # the time-step clock carries the name brian2cuda's synapses template reads
    assert "Clock defaultclock;" in (project / "objects.h").read_text().replace("extern ", "")
    # brian2cuda's own spike queue, not the C++ header that replaces Brian2's
    ours = (Path(stdp_learn.__file__).parent / "cpp" / "spikequeue.h").read_text()
    assert (project / "brianlib" / "spikequeue.h").read_text() != ours
    # generated, not compiled
    assert "-arch=sm_80" in (project / "makefile").read_text()
    assert not (project / "main").exists()


def test_cuda_device_is_chosen_where_a_gpu_and_nvcc_are_found(gputools, monkeypatch):
    import sys

    from stdp_learn import simulation

    monkeypatch.setattr(simulation, "_nvidia_gpus", lambda: ["GPU 0: NVIDIA H200 (UUID: GPU-0)"])
    monkeypatch.setattr(gputools, "get_nvcc_path", lambda: sys.executable)  # a file that exists
    assert check_device("cuda_standalone") == "cuda_standalone"

    def no_toolkit():
        raise RuntimeError("Couldn't find the CUDA installation.")

    monkeypatch.setattr(gputools, "get_nvcc_path", no_toolkit)
    with pytest.raises(ConfigError, match="not nvcc") as refusal:
        check_device("cuda_standalone")
    assert "\n" not in str(refusal.value)
