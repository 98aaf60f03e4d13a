"""Every notebook in notebooks/ runs from top to bottom and is stored without outputs.

The notebooks are small enough (20 neurons, a few hundred images) to run in CI.  They
share the session's build folder for compiled networks (`build_root`), so networks of the
same structure, here and in the model tests, are compiled once.
"""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {number} holds outputs"
            assert cell.execution_count is None, f"{path.name}: cell {number} was executed"
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs(path, tmp_path, build_root, monkeypatch):
    # The kernel inherits this environment: it compiles into the shared build folder.
    # Its interpreter is this one (jupyter_client starts "python" kernels with
    # sys.executable), so it imports the stdp_learn under test.
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors == []
