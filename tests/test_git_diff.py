"""``git diff`` on spec files shows the architecture change, through a ``diff=modelspec`` textconv driver.

Real git, in a repository of its own: ``.gitattributes`` gives spec files the ``modelspec`` diff
driver, whose textconv is ``modelspec summary --textconv`` (as the README sets it up). Parameter
counts asserted follow Keras' Conv2D: kernel_h × kernel_w × in_channels × filters + filters
(block1_conv1 of keras.applications.VGG16: 3·3·3·64 + 64 = 1,792).
"""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import SPECS

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "GIT_PAGER": "cat"}


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)

    def git(*args):
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=120,
                                env={**os.environ, **ENV, "HOME": str(tmp_path)})
        assert result.returncode == 0, result.stderr
        return result.stdout

    git("init", "-q")
    (root / ".gitattributes").write_text("specs/*.yaml diff=modelspec\nspecs/*.json diff=modelspec\n")
    # the README's set-up, with this interpreter's modelspec (as `modelspec summary --textconv` on the PATH)
    git("config", "diff.modelspec.textconv", f"{sys.executable} -m modelspec summary --textconv")
    shutil.copy(SPECS / "vgg_block.yaml", root / "specs" / "vgg_block.yaml")
    git("add", ".")
    git("commit", "-q", "-m", "vgg block")
    return root, git


def changed(diff: str) -> tuple[list[str], list[str]]:
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++"))]
    return [l[1:] for l in lines if l.startswith("-")], [l[1:] for l in lines if l.startswith("+")]


def test_git_diff_shows_the_architecture_change(repo):
    root, git = repo
    spec = root / "specs" / "vgg_block.yaml"
    spec.write_text(spec.read_text().replace("filters: 64", "filters: 128"))
    removed, added = changed(git("diff"))
    old = [l for l in removed if l.startswith("  block1_conv1 ")]
    new = [l for l in added if l.startswith("  block1_conv1 ")]
    assert len(old) == len(new) == 1, git("diff")
    assert "(256, 256, 64)" in old[0] and " 1,792 " in old[0]
    assert "(256, 256, 128)" in new[0] and " 3,584 " in new[0]  # 3*3*3*128 + 128
    assert any(l.startswith("Total params:") for l in removed) and any(l.startswith("Total params:") for l in added)
    # the same diff without the driver is the YAML text
    raw_removed, raw_added = changed(git("diff", "--no-textconv"))
    assert any("filters: 64" in l for l in raw_removed) and not any("Conv2D" in l for l in raw_added)


def test_a_renamed_block_and_a_new_one_show_in_the_log(repo):
    root, git = repo
    spec = root / "specs" / "vgg_block.yaml"
    spec.write_text(spec.read_text() + "  - {name: head, type: global_avg_pool}\n")
    git("commit", "-q", "-am", "add a head")
    removed, added = changed(git("log", "-p", "-1"))
    assert any(l.startswith("head ") and "GlobalAveragePooling2D" in l and "(64)" in l for l in added), added
    # the unchanged layers are not in the diff: the table's columns keep their widths
    assert not [l for l in removed + added if l.startswith("  block1_conv")], removed + added


def test_an_invalid_version_still_diffs_and_says_why(repo):
    root, git = repo
    spec = root / "specs" / "vgg_block.yaml"
    spec.write_text(spec.read_text().replace("filters: 64", "filters: 0"))
    diff = git("diff")
    removed, added = changed(diff)
    assert "(not a valid spec)" in added
    (error,) = [l for l in added if "error:" in l]
    line = next(i for i, l in enumerate(spec.read_text().splitlines(), 1) if "filters: 0" in l)
    assert error.startswith(f"line:{line}:") and error.endswith("blocks[0].filters: must be greater than 0")
