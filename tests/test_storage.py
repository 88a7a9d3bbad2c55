"""Storage failures end a run cleanly and say so; a damaged journal or a bad data path is refused in one line."""

import errno
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from execution.errors import JournalError
from execution.governor import Governor
from execution.journal import Journal, storage_advice
from execution.model import EventKind, RunState
from paper.crash import FillingJournal
from tests.helpers import config, engine, fast, plan, watched_engine


def test_a_full_disk_mid_run_ends_the_run_within_seconds_and_no_sent_order_goes_unrecorded(tmp_path):
    journal = FillingJournal(tmp_path / "journal.sqlite")
    orders = iter(range(1, 10**6))

    def fill_disk_at_the_third_order(tag: str) -> None:
        if next(orders) == 3:
            journal.fill_disk()

    eng = watched_engine(tmp_path, fill_disk_at_the_third_order, fast(order_ms=2), journal)
    run = eng.start(plan(config(lots=400, per=1, delay=0.01)))
    result = run.wait(60)
    failed = [e for e in run.progress().events if e.kind is EventKind.WARNING and "could not be written" in e.message]
    finished = [e for e in run.progress().events if e.kind is EventKind.FINISHED]
    assert result.state is RunState.FAILED and failed and "database or disk is full" in failed[-1].message
    assert finished[0].wall - failed[-1].wall < 5.0  # the run ended within seconds of the failure, never hung
    book = {r["GuiOrdId"] for r in eng.exchange.book()}
    journalled = {o.tag for o in Journal(tmp_path / "journal.sqlite").orders(run.run_id)}
    assert book <= journalled  # every order that reached the exchange had its intent on disk first
    assert len(book) < 800 and not eng.active()  # it stopped early, and Execute is free again


def _journal_with_a_run(tmp_path):
    eng = engine(tmp_path, fast(order_ms=1, login_ms=1, query_ms=1), governor=Governor(limit=1000))
    eng.start(plan(config(lots=20, per=1))).wait(60)
    eng.journal.close()
    return tmp_path / "journal.sqlite"


@pytest.mark.parametrize("where", ["middle", "last"])
def test_a_damaged_journal_is_refused_never_used(tmp_path, where):
    path = _journal_with_a_run(tmp_path)
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    page = pages // 2 if where == "middle" else pages - 1
    data[page * 4096 : (page + 1) * 4096] = os.urandom(4096)  # a torn write: one whole page of noise
    path.write_bytes(bytes(data))
    with pytest.raises(JournalError, match="is damaged .* so it was not used") as info:
        Journal(path)
    assert "\n" not in str(info.value)


def test_a_bad_data_folder_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "NEO_BATCH_DATA": str(blocker / "data")}
    out = subprocess.run(
        [sys.executable, "-m", "execution", "run", "--leg", "X:S", "--lots", "1", "--batch-lots", "1", "--delay", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


# ----- storage faults named by their cause ------------------------------------------------------------------------
ROOT = os.geteuid() == 0
ROOT_DIR = str(Path(__file__).resolve().parent.parent)


def _one_line(path) -> str:
    with pytest.raises(JournalError) as info:
        Journal(path)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def _not_damaged(message: str) -> None:
    """Only a failed integrity check calls a journal damaged: moving a sound journal aside loses its history."""
    assert "damaged" not in message and "restore a copy" not in message


@pytest.fixture
def tmpfs(tmp_path):
    """A 2 MB file system of its own (root only), unmounted after the test."""
    where = tmp_path / "disk"
    where.mkdir()
    if not ROOT or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)]).returncode:
        pytest.skip("mounting a small file system needs root")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.timeout(60)
def test_a_full_disk_on_open_says_free_space_never_damaged(tmpfs):
    path = tmpfs / "data" / "journal.sqlite"
    Journal(path).close()
    with open(tmpfs / "filler", "wb") as filler, pytest.raises(OSError):
        while True:
            filler.write(b"\0" * 65536)
    for where in (path, tmpfs / "other" / "journal.sqlite"):  # an existing journal, and a new one
        message = _one_line(where)
        assert "the disk is full" in message and "Free space" in message
        _not_damaged(message)
    (tmpfs / "filler").unlink()
    assert Journal(path).runs() == []  # with room again, the same journal opens


@pytest.mark.timeout(60)
def test_a_read_only_file_system_is_named_with_its_folder(tmpfs):
    path = tmpfs / "data" / "journal.sqlite"
    Journal(path).close()
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    for where in (path, tmpfs / "new" / "journal.sqlite"):
        message = _one_line(where)
        assert "read-only file system" in message and "Remount it read-write" in message
        _not_damaged(message)


NOBODY = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    sys.executable,
    "-c",
    "import sys; from execution.journal import Journal; from execution.errors import JournalError\n"
    "try:\n    Journal(sys.argv[1])\nexcept JournalError as e:\n    print(e)",
]


@pytest.fixture
def theirs():
    """A folder anyone may enter and read, but only its owner write, with a journal of its owner's in it."""
    folder = Path(tempfile.mkdtemp(prefix="theirs-"))
    folder.chmod(0o755)
    Journal(folder / "journal.sqlite").close()
    yield folder
    folder.chmod(0o700)
    shutil.rmtree(folder, ignore_errors=True)


def _as_another_user(path: Path) -> str:
    """Open the journal as a user who does not own it: another user when this is root (root may write anywhere),
    else this user once the folder and the file are read-only to it."""
    if not ROOT:
        path.parent.chmod(0o500)
        if path.exists():
            path.chmod(0o400)
        return _one_line(path)
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to act as another user")
    out = subprocess.run([*NOBODY, str(path)], capture_output=True, text=True, timeout=60, cwd=ROOT_DIR)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    message = out.stdout.strip()
    assert message and "\n" not in message
    return message


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["journal.sqlite", "new.sqlite"], ids=["another user's journal", "a new journal"])
def test_permission_denied_says_fix_the_permissions(theirs, name):
    message = _as_another_user(theirs / name)
    assert "permission denied" in message and "Fix the permissions" in message, message
    _not_damaged(message)


def test_each_cause_has_its_own_advice():
    # What the open cannot provoke on every machine, from the errors SQLite and the OS give for each cause.
    folder = Path("/nonexistent-data")
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = sqlite3.SQLITE_BUSY
    advice: dict[str, list[Exception]] = {
        "the disk is full": [full, OSError(errno.ENOSPC, "No space left on device")],
        "read-only file system": [OSError(errno.EROFS, "Read-only file system")],
        "permission denied": [OSError(errno.EACCES, "Permission denied"), OSError(errno.EPERM, "Not permitted")],
        "is not a folder": [OSError(errno.ENOTDIR, "Not a directory")],
        "another process holds it locked": [busy],
    }
    for words, errors in advice.items():
        for error in errors:
            said = storage_advice(error, folder)
            assert words in said and "\n" not in said
            _not_damaged(said)


@pytest.mark.parametrize("where", ["a file", "/dev/null", "under a file"])
def test_a_journal_where_no_folder_can_be_is_one_line(tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    path = {
        "a file": blocker / "journal.sqlite",
        "/dev/null": Path("/dev/null") / "journal.sqlite",
        "under a file": blocker / "data" / "journal.sqlite",
    }[where]
    message = _one_line(path)
    assert f"{Path('/dev/null') if where == '/dev/null' else blocker} is not a folder" in message, message
    _not_damaged(message)
    assert "is not a file" in _one_line(Path("/dev/null"))


# ----- a journal of another shape ---------------------------------------------------------------------------------
def _sqlite(path: Path, *statements: str) -> Path:
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize(
    "statements, why",
    [
        (("CREATE TABLE trades (id INTEGER, price REAL)",), "holds other tables (trades)"),
        (("CREATE TABLE runs (run_id TEXT PRIMARY KEY, state TEXT)",), "no such column"),
    ],
    ids=["another program's tables", "runs lacking columns"],
)
def test_a_journal_of_an_unknown_schema_is_refused_on_open(tmp_path, statements, why):
    path = _sqlite(tmp_path / "journal.sqlite", *statements)
    before = path.read_bytes()
    message = _one_line(path)
    assert "is not a journal this version can use" in message and why in message
    _not_damaged(message)
    if "trades" in why:
        assert path.read_bytes() == before  # another program's file is left exactly as it was


def test_a_current_journal_missing_a_table_is_refused_before_a_run_could_fail_on_it(tmp_path):
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    _sqlite(path, "DROP TABLE leases")
    assert "its table leases is missing" in _one_line(path)
    eng_path = tmp_path / "other" / "journal.sqlite"
    Journal(eng_path).close()
    _sqlite(eng_path, "ALTER TABLE runs DROP COLUMN warnings")
    assert "its table runs lacks the columns warnings" in _one_line(eng_path)


# ----- private files ---------------------------------------------------------------------------------------------
def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_is_0700_and_the_journal_its_wal_and_shm_0600(tmp_path):
    old = os.umask(0o022)  # the usual umask, which would leave new files readable by anyone
    try:
        eng = engine(tmp_path / "data", fast(order_ms=1, login_ms=1, query_ms=1))
        eng.share_rate_limits(tmp_path / "data")
        eng.start(plan(config(lots=2, per=1))).wait(30)
        folder = tmp_path / "data"
        files = ["journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm", "orders-paper-PAPER1.window"]
        assert _mode(folder) == 0o700
        assert {name: _mode(folder / name) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        os.umask(old)


def test_a_journal_left_readable_by_others_is_made_private_on_open(tmp_path):
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    path.chmod(0o644)
    Journal(path).close()
    assert _mode(path) == 0o600
