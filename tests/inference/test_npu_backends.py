"""The NPU backends (FuriosaAI, Rebellions) where their SDKs are absent, as on this machine: loading one
is an error naming its package, importing its module imports no vendor code, and options and model files
are checked before the SDK is needed. Nothing here stands in for a vendor runtime; what the backends do
with a real SDK and NPU is for the conformance suite on such a machine (docs/npu-backends.md)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dil.inference.backend import BACKENDS, BackendError, MissingBackendError, load_backend
from dil.inference.furiosa_backend import BACKEND as FURIOSA
from dil.inference.rebellions_backend import BACKEND as REBELLIONS

ROOT = Path(__file__).resolve().parents[2]
NPU = [("furiosa", "furiosa.runtime.sync"), ("rebellions", "rebel")]


def _python(code: str, path: tuple[Path, ...] = ()) -> str:
    """Run ``code`` in a fresh interpreter (a clean sys.modules); its stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, [*path, ROOT]))}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize(("name", "package"), NPU)
def test_loading_without_the_sdk_is_an_error_naming_the_package(name, package):
    try:
        load_backend(name)
    except MissingBackendError as e:
        assert repr(package) in str(e) and repr(name) in str(e)
    else:
        pytest.skip(f"{package} is installed and loads here")


@pytest.mark.parametrize(("name", "package"), NPU)
def test_the_registry_finds_the_backend(name, package):
    backend = {"furiosa": FURIOSA, "rebellions": REBELLIONS}[name]
    assert BACKENDS[name] == type(backend).__module__
    assert (backend.name, backend.package) == (name, package)


def test_importing_the_backends_imports_no_vendor_package():
    code = (
        "import sys, dil.inference.furiosa_backend, dil.inference.rebellions_backend\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('furiosa', 'rebel')))"
    )
    assert _python(code) == "[]"


def test_a_namesake_rebel_package_is_not_taken_for_the_rbln_sdk(tmp_path):
    # `pip install rebel` brings an unrelated SQL library importable as `rebel`; an empty package of that
    # name stands for it (it is not a stand-in for the SDK: it has none of the SDK's API).
    (tmp_path / "rebel").mkdir()
    (tmp_path / "rebel" / "__init__.py").write_text('"""Not the RBLN SDK."""\n')
    code = (
        "from dil.inference.backend import MissingBackendError, load_backend\n"
        "try:\n    load_backend('rebellions')\nexcept MissingBackendError as e:\n    print(e)\n"
    )
    out = _python(code, (tmp_path,))
    assert "rebel-compiler" in out and "another package of the same name" in out


@pytest.mark.parametrize("backend", [FURIOSA, REBELLIONS], ids=lambda b: b.name)
def test_an_unknown_option_is_refused_before_the_sdk_is_needed(backend, tmp_path):
    with pytest.raises(BackendError, match=r"unknown option 'providers' \(known: device"):
        backend.open(tmp_path / "m.onnx", {"providers": "cpu"})


def test_rebellions_serves_compiled_files_only(tmp_path):
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"")
    with pytest.raises(BackendError, match=r"m\.onnx: the rebellions backend serves compiled \.rbln files"):
        REBELLIONS.open(onnx, {})
    with pytest.raises(BackendError, match=r"nope\.rbln: no such file"):
        REBELLIONS.open(tmp_path / "nope.rbln", {})
    rbln = onnx.with_suffix(".rbln")
    rbln.write_bytes(b"")
    with pytest.raises(BackendError, match=r"device='npu0' is not an NPU index"):
        REBELLIONS.open(rbln, {"device": "npu0"})


def test_furiosa_checks_the_model_file_and_its_options(tmp_path):
    with pytest.raises(BackendError, match=r"m\.pt: the furiosa backend takes \.onnx, \.tflite, \.enf"):
        FURIOSA.open(tmp_path / "m.pt", {})
    with pytest.raises(BackendError, match=r"nope\.enf: no such file"):
        FURIOSA.open(tmp_path / "nope.enf", {})
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    with pytest.raises(BackendError, match=r"batch_size='0' is not a positive integer"):
        FURIOSA.open(model, {"batch_size": "0"})


@pytest.mark.parametrize(
    ("backend", "suffix"), [(FURIOSA, ".enf"), (REBELLIONS, ".rbln")], ids=["furiosa", "rebellions"]
)
def test_opening_a_model_without_the_sdk_is_the_missing_package_error(backend, suffix, tmp_path):
    model = tmp_path / f"m{suffix}"
    model.write_bytes(b"")
    try:
        backend.check()
    except MissingBackendError:
        with pytest.raises(MissingBackendError, match=re.escape(repr(backend.package))):
            backend.open(model, {})
    else:
        pytest.skip(f"{backend.package} is installed and loads here")
