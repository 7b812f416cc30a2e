"""The conformance suite every inference backend passes, on models built here whose outputs are
known exactly. It runs against the ONNX Runtime backend here; on a machine with an NPU SDK, set
``DIL_BACKENDS=onnx,furiosa`` (or rebellions) to run it against that backend too."""

import os

import numpy as np
import pytest
import yaml

from dil.inference.backend import BackendError, load_backend
from dil.inference.manifest import ManifestError, check_against, load_manifest
from dil.inference.preprocess import commands, feeds

from . import linear_model as lm

BACKENDS = [b for b in os.environ.get("DIL_BACKENDS", "onnx").split(",") if b]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return load_backend(request.param)


@pytest.fixture
def model(tmp_path):
    return lm.build(tmp_path)


def _frames(n, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (lm.H, lm.W, 3), dtype=np.uint8) for _ in range(n)]


def test_the_session_describes_the_models_tensors(backend, model):
    s = backend.open(model["onnx"], {})
    assert [t.name for t in s.inputs] == ["image", "speed"]
    assert s.inputs[0].shape == (-1, 3, lm.H, lm.W) and s.inputs[0].dtype == np.float32
    assert [t.name for t in s.outputs] == ["controls"] and s.outputs[0].shape == (-1, 3)
    assert s.backend == backend.name and s.device


@pytest.mark.parametrize("batch", [1, 4])
def test_outputs_equal_the_exact_linear_result(backend, model, batch):
    s = backend.open(model["onnx"], {})
    frames, speeds = _frames(batch), [3.0 * k for k in range(batch)]
    x = np.stack([f[:, :, ::-1].astype(np.float32).transpose(2, 0, 1) / 255.0 for f in frames])
    (y,) = s.run({"image": x, "speed": np.array(speeds, np.float32)[:, None] * 0.1})
    want = np.array([lm.reference(model, f, v) for f, v in zip(frames, speeds, strict=True)])
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_a_frame_gives_the_same_answer_alone_or_in_a_batch(backend, model):
    s = backend.open(model["onnx"], {})
    m = load_manifest(model["manifest"])
    reqs = [{"images": {"front": f}, "ego": {"speed": 5.0}, "objects": []} for f in _frames(5, seed=7)]
    together = commands(m, s, s.run(feeds(m, s, reqs)), 5)
    alone = np.array([commands(m, s, s.run(feeds(m, s, [r])), 1)[0] for r in reqs])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_manifest_preprocessing_and_command_mapping_end_to_end(backend, model):
    s = backend.open(model["onnx"], {})
    m = load_manifest(model["manifest"])
    check_against(m, s)
    frames = _frames(3, seed=3)
    reqs = [{"images": {"front": f}, "ego": {"speed": 12.0}, "objects": []} for f in frames]
    got = commands(m, s, s.run(feeds(m, s, reqs)), 3)
    want = np.array([lm.commands(model, f, 12.0) for f in frames])
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_missing_model_file_is_a_clear_error(backend, tmp_path):
    with pytest.raises(BackendError, match=r"nope\.onnx"):
        backend.open(tmp_path / "nope.onnx", {})


def _rewrite(built, **changes):
    doc = {**built["doc"], **changes}
    built["manifest"].write_text(yaml.safe_dump(doc, sort_keys=False))
    return built["manifest"]


def test_a_manifest_whose_inputs_do_not_match_the_model_fails_at_load(backend, model):
    s = backend.open(model["onnx"], {})
    image = {**model["doc"]["inputs"][0], "size": [16, 6]}
    path = _rewrite(model, inputs=[image, model["doc"]["inputs"][1]])
    with pytest.raises(ManifestError, match=r"linear.yaml: inputs\[0\] \(image\): dimension 3 is 16"):
        check_against(load_manifest(path), s)
    path = _rewrite(
        model, inputs=[{**image, "size": [lm.W, lm.H], "name": "picture"}, model["doc"]["inputs"][1]]
    )
    with pytest.raises(ManifestError, match=r"inputs\[0\].name: .picture.: the model has no such input"):
        check_against(load_manifest(path), s)


def test_an_output_index_beyond_the_models_output_fails_at_load(backend, model):
    s = backend.open(model["onnx"], {})
    path = _rewrite(model, outputs=[{"name": "controls", "commands": {"steering_wheel_angle": {"index": 3}}}])
    with pytest.raises(ManifestError, match=r"steering_wheel_angle.index: 3: the output has 3 values"):
        check_against(load_manifest(path), s)


def test_a_fixed_batch_model_refuses_a_larger_max_batch(backend, tmp_path):
    model = lm.build(tmp_path, fixed_batch=1)
    s = backend.open(model["onnx"], {})
    path = _rewrite(model, max_batch=4)
    with pytest.raises(ManifestError, match="max_batch: 4: the model's batch dimension is fixed at 1"):
        check_against(load_manifest(path), s)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "other.onnx"}, "model: 'other.onnx': no such file"),
        ({"max_batch": 0}, r"max_batch = 0: must be within \[1, 1024\]"),
        ({"unknown_key": 1}, "unknown_key"),
    ],
)
def test_bad_manifests_name_the_field_and_value(model, change, message):
    with pytest.raises(ManifestError, match=message):
        load_manifest(_rewrite(model, **change))


def test_a_crop_outside_the_source_image_is_refused(model):
    image = {**model["doc"]["inputs"][0], "crop": [0, 0, 20, 6]}
    with pytest.raises(ManifestError, match=r"inputs\[0\] \(image\).crop: \[0, 0, 20, 6\]: outside the 8x6"):
        load_manifest(_rewrite(model, inputs=[image, model["doc"]["inputs"][1]]))


def test_onnx_threads_that_sleep_when_idle_give_the_same_answer(model):
    # spin=0 is what a node on the loop's machine runs with; spin=2 is not an option
    onnx = load_backend("onnx")
    m = load_manifest(model["manifest"])
    req = [{"images": {"front": _frames(1)[0]}, "ego": {"speed": 10.0}, "objects": []}]
    answers = []
    for options in ({"threads": "1", "spin": "0"}, {}):
        s = onnx.open(m.model_path, options)
        answers.append(s.run(feeds(m, s, req)))
        s.close()
    assert all(np.array_equal(a, b) for a, b in zip(*answers, strict=True))
    with pytest.raises(BackendError, match="spin='2': must be 0 or 1"):
        onnx.open(m.model_path, {"spin": "2"})
