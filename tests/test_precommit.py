"""The pre-commit hook, run by the real pre-commit against a user's repository.

``.pre-commit-hooks.yaml`` offers ``modelspec-validate``. pre-commit installs the hook's package
into an environment of its own; these tests show that the hook passes a good spec, fails a bad one
with located errors, and that its environment holds no TensorFlow (so a user's first commit does not
wait for it), while ``build`` there names the extra to install.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SPECS

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
pytest.importorskip("pre_commit", reason="pre-commit is not installed (it is in the 'test' extra)")

BAD = """\
name: bad
input: {shape: [32, 32, 3]}
blocks:
  - {type: vgg, filters: 64, convs: 2}
  - {type: vgg, filters: 128, convs: 2, pool_size: 64}
"""

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


# the hook's environment is on its own: nothing from this process' PYTHONPATH may leak into it
CLEAN = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV})


def pre_commit(cwd, home, *args):
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**CLEAN, **GIT_ENV, "PRE_COMMIT_HOME": str(home)})


@pytest.fixture
def user_repo(tmp_path):
    """A user's repository: a good and a bad spec under specs/, and a YAML file that is no spec."""
    repo = tmp_path / "user"
    (repo / "specs").mkdir(parents=True)
    shutil.copy(SPECS / "inception_modules.yaml", repo / "specs" / "good.yaml")
    (repo / "specs" / "bad.yaml").write_text(BAD)
    (repo / "ci.yaml").write_text("jobs: {test: {runs-on: ubuntu-latest}}\n")  # not a spec: not checked
    git(repo, "init", "-q")
    git(repo, "add", ".")
    return repo


@pytest.fixture
def hooks_repo(tmp_path):
    """This working tree (committed or not) as a repository pre-commit can clone at a commit:
    in CI it is the clone under test; while developing, uncommitted and new files are in it too."""
    hooks = tmp_path / "hooks"
    git(tmp_path, "clone", "-q", str(ROOT), str(hooks))
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (hooks / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, hooks / name)
    git(hooks, "add", "-A")
    git(hooks, "commit", "-q", "--allow-empty", "-m", "the working tree under test")
    return hooks


def test_try_repo_passes_a_good_spec_and_fails_a_bad_one(user_repo, hooks_repo, tmp_path):
    home = tmp_path / "pre-commit-home"
    good = pre_commit(user_repo, home, "try-repo", str(hooks_repo), "modelspec-validate", "--verbose",
                      "--files", "specs/good.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "ok: specs/good.yaml (513,120 params)" in good.stdout, good.stdout

    every = pre_commit(user_repo, home, "try-repo", str(hooks_repo), "modelspec-validate", "--all-files")
    assert every.returncode == 1, every.stdout + every.stderr
    assert "specs/bad.yaml:5:52: error: blocks[1].pool_size: " in every.stdout, every.stdout
    assert "ok: specs/good.yaml" in every.stdout, every.stdout
    assert "ci.yaml" not in every.stdout.replace("specs/", ""), every.stdout  # only files under specs/


def test_the_hook_environment_has_no_tensorflow(user_repo, hooks_repo, tmp_path):
    """A pinned hook, as a user's .pre-commit-config.yaml has it; its environment is kept and inspected."""
    rev = git(hooks_repo, "rev-parse", "HEAD").stdout.strip()
    (user_repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks_repo.as_uri()}\n    rev: {rev}\n    hooks:\n      - id: modelspec-validate\n")
    git(user_repo, "add", ".pre-commit-config.yaml")

    home = tmp_path / "pre-commit-home"
    result = pre_commit(user_repo, home, "run", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "specs/bad.yaml:5:52: error:" in result.stdout, result.stdout

    (env,) = [p for p in home.glob("repo*/py_env-*") if p.is_dir()]
    python = env / "bin" / "python"
    found = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('tensorflow'))"],
                           capture_output=True, text=True, timeout=60, env=CLEAN)
    assert found.stdout.strip() == "None", found.stdout + found.stderr
    # a real (not editable) install: the schema editors point at ships inside the package
    where = subprocess.run([str(env / "bin" / "modelspec"), "schema", "--path"], capture_output=True, text=True,
                           timeout=60, env=CLEAN)
    assert where.returncode == 0 and Path(where.stdout.strip()).is_relative_to(env), where.stdout + where.stderr
    current = subprocess.run([str(env / "bin" / "modelspec"), "schema", "--check", where.stdout.strip()],
                             capture_output=True, text=True, timeout=60, env=CLEAN)
    assert current.returncode == 0, current.stdout + current.stderr
    build = subprocess.run([str(env / "bin" / "modelspec"), "build", "specs/good.yaml", "-o",
                            str(tmp_path / "good.keras")], cwd=user_repo, capture_output=True, text=True, timeout=60,
                           env=CLEAN)
    assert build.returncode == 2, build.stdout + build.stderr
    assert build.stderr.strip() == ('modelspec: error: building a Keras model needs TensorFlow, which is not '
                                    'installed; install it with: pip install "modelspec[tensorflow]"')
    assert "Traceback" not in build.stderr
    assert not (tmp_path / "good.keras").exists()
