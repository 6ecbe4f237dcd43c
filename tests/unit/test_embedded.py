"""The parts of shared.embedded that need no server: URLs, ports, directories, access checks, configuration."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.embedded import (
    PROJECT_ROOT,
    EmbeddedServerError,
    LocalServers,
    RunAs,
    admin_database_url,
    default_state_dir,
    free_ports,
    make_dirs,
    redact_url,
    tail,
)


def test_state_dir_defaults_to_dot_oms_in_the_project_and_follows_oms_state_dir(tmp_path: Path) -> None:
    assert default_state_dir({}) == PROJECT_ROOT / ".oms"
    assert default_state_dir({"OMS_STATE_DIR": str(tmp_path / "elsewhere")}) == tmp_path / "elsewhere"


def test_admin_url_drops_the_driver_and_refuses_other_schemes() -> None:
    assert admin_database_url("postgresql+asyncpg://u:p@h:5/db?sslmode=disable") == (
        "postgresql://u:p@h:5/db?sslmode=disable"
    )
    assert admin_database_url("postgres://h/db") == "postgresql://h/db"
    with pytest.raises(EmbeddedServerError, match="not a PostgreSQL URL: mysql://u:\\*\\*\\*@h/db"):
        admin_database_url("mysql://u:secret@h/db")


def test_redacted_urls_keep_everything_but_the_password() -> None:
    assert redact_url("postgresql://app:s3cret@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_free_ports_are_distinct_and_bindable_on_loopback() -> None:
    ports = free_ports(20)
    assert len(set(ports)) == 20
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_make_dirs_sets_the_mode_of_what_it_creates_only(tmp_path: Path) -> None:
    tmp_path.chmod(0o711)
    created = make_dirs(tmp_path / "a" / "b", mode=0o755)
    assert created == [tmp_path / "a", tmp_path / "a" / "b"]
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o755
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o711
    assert make_dirs(tmp_path / "a" / "b") == []


@pytest.fixture
def open_dir() -> Iterator[Path]:
    # pytest's tmp_path lies under a 0700 directory, which would be the one reported
    directory = Path(tempfile.mkdtemp(prefix="oms-unit-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


def test_a_directory_closed_to_the_server_user_is_named_before_anything_starts(open_dir: Path) -> None:
    closed = open_dir / "closed"
    closed.mkdir(mode=0o700)
    closed.chmod(0o700)
    (closed / "state").mkdir()
    owner = closed.stat()
    stranger = RunAs("stranger", owner.st_uid + 4242, owner.st_gid + 4242)
    with pytest.raises(EmbeddedServerError, match=f"{closed} \\(mode 0700\\) cannot be entered by user 'stranger'"):
        stranger.check_reachable(closed / "state")
    assert stat.S_IMODE(closed.stat().st_mode) == 0o700  # reported, never "fixed"
    RunAs("owner", owner.st_uid, owner.st_gid).check_reachable(closed / "state")


def test_group_and_other_bits_decide_for_users_other_than_the_owner(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    directory.mkdir()
    st = directory.stat()
    member = RunAs("member", st.st_uid + 1, st.st_gid)
    other = RunAs("other", st.st_uid + 1, st.st_gid + 1)
    directory.chmod(0o710)
    assert member.can_search(directory) and not other.can_search(directory)
    directory.chmod(0o701)
    assert not member.can_search(directory) and other.can_search(directory)


def test_servers_given_by_url_are_used_and_nothing_is_started(tmp_path: Path) -> None:
    servers = LocalServers(
        tmp_path / "state",
        env={"OMS_DATABASE_URL": "postgresql+asyncpg://app@db:5432/x", "OMS_REDIS_URL": "redis://cache:6379/0"},
    )
    with servers as urls:
        assert urls.database_url == "postgresql://app@db:5432/x"
        assert urls.redis_url == "redis://cache:6379/0"
        assert servers.pids == []
        assert servers.describe()["postgres"] is None and servers.describe()["redis"] is None
    assert not (tmp_path / "state" / "postgres").exists()


def test_tail_reads_the_last_lines_written_since_an_offset(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    log.write_text("old run\n", encoding="utf-8")
    offset = log.stat().st_size
    with log.open("a", encoding="utf-8") as handle:
        handle.writelines(f"line {i} 𠮷\n" for i in range(50))
    assert tail(log, 3, since=offset).splitlines() == ["line 47 𠮷", "line 48 𠮷", "line 49 𠮷"]
    assert "old run" not in tail(log, 100, since=offset)
    assert tail(tmp_path / "missing.log") == ""


def test_run_as_is_only_used_by_root() -> None:
    run_as = RunAs.for_this_process()
    if os.geteuid() == 0:
        assert run_as is not None and run_as.name == "nobody"
        assert run_as.popen_kwargs()["extra_groups"] == []  # root's supplementary groups are dropped
    else:
        assert run_as is None
