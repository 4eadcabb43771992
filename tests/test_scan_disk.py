"""Nothing on disk can hang the scanner or leak through it: pipes, sockets, folders and outside links named twin.yaml.

The hanging cases run the command as a real process with a timeout, so a
regression fails the test instead of stopping the run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request

import pytest

from registry.models import SpecFileError, Twin
from registry.scanner import UnreadableFile, read_regular_file
from tests.browser.server import AsgiServer
from tests.conftest import REPO

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "root:$6$leaked-hash-line:19000:0:99999:7:::"
TIMEOUT = 60  # seconds; the scan of a handful of files takes well under one


def run_scan(db_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "manage.py"), "scan_twins", *args], cwd=REPO, env=db_env,
                          capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture
def outside(tmp_path):
    """A file outside the twins root that looks like a spec with secrets in it."""
    path = tmp_path / "elsewhere" / "shadow"
    path.parent.mkdir()
    path.write_text(f"id: stolen\nname: Stolen\ntenant: acme\n{SECRET}\n")
    return path


def test_check_finishes_with_an_error_on_a_fifo_named_twin_yaml(tree, db_env):
    tree.twin("good", "good-1")
    (tree.root / "pipe").mkdir()
    os.mkfifo(tree.root / "pipe" / "twin.yaml")

    result = run_scan(db_env, "--check", str(tree.root))

    assert result.returncode == 1, result.stderr
    assert f"{tree.root}/pipe/twin.yaml:1:1: twin.yaml is a named pipe (FIFO), not a regular file" in result.stderr
    assert "would create good-1" in result.stdout


def test_a_socket_named_twin_yaml_is_not_a_regular_file(tree, scan_cmd):
    (tree.root / "sock").mkdir()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tree.root / "sock" / "twin.yaml"))
        result = scan_cmd(str(tree.root))
    assert result.code == 1
    assert "twin.yaml is a socket, not a regular file" in result.err


def test_read_regular_file_refuses_a_device_and_reads_a_file_inside_its_roots(tmp_path):
    with pytest.raises(UnreadableFile, match="null is a device, not a regular file"):
        read_regular_file("/dev/null", ["/dev"], 1024)
    with pytest.raises(UnreadableFile, match="leads outside the twins roots"):
        read_regular_file("/dev/null", [str(tmp_path)], 1024)
    (tmp_path / "twin.yaml").write_bytes(b"id: a\n")
    assert read_regular_file(str(tmp_path / "twin.yaml"), [str(tmp_path)], 1024) == b"id: a\n"


def test_a_web_server_scanning_on_start_answers_despite_a_fifo(tree, db_env):
    os.mkfifo(tree.root / "twin.yaml")
    tree.twin("lift", "lift-001")
    server = AsgiServer({**db_env, "DTP_SCAN_ON_START": "true", "DTP_TWINS_ROOTS": str(tree.root),
                         "DTP_HEALTH_INTERVAL": "3600"})
    try:
        server.start()  # fails after a timeout if the start-up scan hangs
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=TIMEOUT) as response:
            assert response.status == 200
    finally:
        server.stop()
    assert Twin.objects.filter(pk="lift-001").exists()
    assert "not a regular file" in SpecFileError.objects.get(path=str(tree.root / "twin.yaml")).message


def test_a_link_leading_outside_the_roots_is_refused_without_quoting_its_target(tree, outside, db_env):
    (tree.root / "evil").mkdir()
    link = tree.root / "evil" / "twin.yaml"
    os.symlink(outside, link)

    result = run_scan(db_env, str(tree.root))

    assert result.returncode == 1
    assert f"{link}:1:1: {link} is a link that leads outside the twins roots" in result.stderr
    for text in (result.stdout, result.stderr, *SpecFileError.objects.values_list("message", flat=True)):
        assert SECRET not in text and "leaked" not in text and str(outside) not in text
    assert not Twin.objects.filter(pk="stolen").exists()


def test_a_folder_link_leading_outside_the_roots_is_not_walked(tree, outside, scan_cmd):
    (outside.parent / "twin.yaml").write_text("id: outsider\nname: Outsider\ntenant: acme\n")
    os.symlink(outside.parent, tree.root / "shared")

    result = scan_cmd(str(tree.root))

    assert result.code == 1
    assert f"{tree.root}/shared is a link that leads outside the twins roots" in result.err
    assert SECRET not in result.err + result.out and not Twin.objects.exists()


def test_links_inside_the_roots_are_followed(tree, scan_cmd):
    real = tree.twin("shared", "real-1", filename="lift.yaml")  # not a spec name: read only through the link
    (tree.root / "alias").mkdir()
    os.symlink(real, tree.root / "alias" / "twin.yaml")
    result = scan_cmd(str(tree.root))
    assert result.code == 0, result.err
    assert Twin.objects.get().source_path == str(tree.root / "alias" / "twin.yaml")


def test_a_folder_named_twin_yaml_is_an_error_not_a_twin(tree, scan_cmd):
    tree.twin("site/twin.yaml", "inner-1")  # site/twin.yaml/twin.yaml: inside the folder, never read

    result = scan_cmd(str(tree.root))

    assert result.code == 1
    assert f"{tree.root}/site/twin.yaml:1:1: twin.yaml is a folder, not a regular file" in result.err
    assert not Twin.objects.exists()


def test_an_oversized_file_is_refused_by_the_read(tree, scan_cmd, settings):
    settings.DTP_SPEC_MAX_BYTES = 1024
    tree.twin("big", "big-1", extra="description: " + "x" * 5000 + "\n")
    result = scan_cmd(str(tree.root))
    assert result.code == 1
    assert "twin specs are limited to 1,024 bytes" in result.err and "the file is 5," in result.err


def test_the_summary_counts_add_up_to_the_files(tree, scan_cmd):
    tree.twin("kept", "kept-1")
    changed = tree.twin("changed", "changed-1")
    broken = tree.twin("broken", "broken-1")
    scan_cmd(str(tree.root))
    changed.write_text(changed.read_text().replace("name: Changed-1", "name: Renamed"))
    broken.write_text("id: broken-1\nname: [unclosed\ntenant: ACME\n")
    tree.twin("new", "new-1")
    tree.twin("dup", "kept-1")
    (tree.root / "folder" / "twin.yaml").mkdir(parents=True)
    os.mkfifo(tree.root / "folder" / "twin.yml")

    expected = ["1 created, 1 updated, 1 unchanged, 0 deprecated, 4 with errors",
                "0 created, 0 updated, 3 unchanged, 0 deprecated, 4 with errors"]  # the broken file, unchanged
    for counts in expected:
        summary = scan_cmd(str(tree.root)).out.splitlines()[0]
        assert summary.startswith(f"Scanned 7 files under {tree.root}") and summary.endswith(f": {counts}"), summary
