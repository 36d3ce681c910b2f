"""``zimao backup`` and ``zimao restore``: a backup taken while zimao writes, restored into a fresh
database (SQLite: the online backup API; PostgreSQL: pg_dump/psql), verifies — the audit chain,
the licences' signatures, the uploaded files, the encrypted identity numbers with the keys the
operator kept — and holds exactly what the source held when the backup began."""

from __future__ import annotations

import io
import json
import tarfile
import threading

import pytest
from django.core.management import call_command
from django.db import connections

from reliability.conftest import same_keys_env, vendor, zimao
from reliability.procs import fresh_database
from reliability.world import RAW_ID
from zimao.testing import submit, upload_materials

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _summary(env) -> dict:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "reliability.crash_tools", "summary"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def zone_data(real_db):
    from zimao.cases.services import decide
    from zimao.testing import build_zone

    zone = build_zone()
    cases = [submit(zone.applicant, name).case for name in ("松柏", "杉楠")]
    review = submit(zone.applicant2, "榕枫", registration={"articles": "custom"}).case
    decide(review.tasks.get(key="registration").pk, zone.reviewer, "approve")
    return zone, cases


def test_backup_while_writing_then_restore_into_a_fresh_database_and_verify(zone_data, tmp_path, settings):
    from zimao.core.models import AuditEvent

    zone, _ = zone_data
    archive = tmp_path / "zimao.tar.gz"
    # a writer keeps submitting while the backup is taken
    stop, written = threading.Event(), []

    def writer():
        names = iter(["琪瑶", "瑾璇", "珂琳", "璐琼", "瑛珊", "琦玮", "璟瑜", "玲珑"])
        try:
            while not stop.is_set():
                written.append(
                    submit(zone.applicant2, next(names), materials=upload_materials(zone.applicant2)).case.number
                )
        except StopIteration:
            pass
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        manifest_out = io.StringIO()
        call_command("backup", str(archive), stdout=manifest_out)
    finally:
        stop.set()
        thread.join(60)
    from zimao.core.backup import read_manifest

    # sealed with the field key and owner-only: neither a tar nor readable by other accounts
    assert not tarfile.is_tarfile(archive) and archive.stat().st_mode & 0o777 == 0o600
    manifest = read_manifest(archive)
    assert manifest["vendor"] == vendor() and manifest["audit_head"]["seq"] > 0
    assert any(name.startswith("media/") for name in manifest["files"])
    source_events = AuditEvent.objects.count()

    kind = vendor()
    with fresh_database(kind, tmp_path / "fresh", base_url=None) as url:
        (tmp_path / "fresh").mkdir(exist_ok=True)
        env = {**same_keys_env(tmp_path / "fresh"), "DATABASE_URL": url}
        out = zimao("restore", str(archive), env=env).stdout
        assert "restored and verified" in out
        assert "OK" in zimao("audit", "verify", env=env).stdout
        restored = _summary(env)
        assert restored["audit_ok"] and restored["licences_genuine"] and restored["materials_ok"]
        assert restored["ids_decrypt"] == [RAW_ID]  # the operator's keys open the restored data
        # exactly the state at the snapshot: the recorded head, and nothing after what the source had
        assert manifest["audit_head"]["events"] <= restored["counts"]["core.AuditEvent"] <= source_events
        assert restored["counts"]["cases.Case"] >= 3
        # restoring over data is refused without --force
        refused = zimao("restore", str(archive), env=env, check=False)
        assert refused.returncode != 0 and "already holds data" in refused.stderr
        assert "restored and verified" in zimao("restore", str(archive), "--force", env=env).stdout


def test_a_damaged_or_foreign_archive_is_refused(zone_data, tmp_path):
    archive = tmp_path / "zimao.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    from zimao.core import protected

    # flip one byte of the database member, keep the manifest: refused as damaged (a clear
    # archive, as written before backups were sealed: still read, and still checked)
    clear = tmp_path / "clear.tar"
    clear.write_bytes(protected.open_bytes(archive.read_bytes()))
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(clear) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("database."):
                data = data[:-100] + bytes([data[-100] ^ 1]) + data[-99:]
            dst.addfile(member, io.BytesIO(data))
    kind = vendor()
    with fresh_database(kind, tmp_path / "fresh") as url:
        (tmp_path / "fresh").mkdir(exist_ok=True)
        env = {**same_keys_env(tmp_path / "fresh"), "DATABASE_URL": url}
        result = zimao("restore", str(damaged), env=env, check=False)
        assert result.returncode != 0 and "damaged" in result.stderr
        # a sealed archive altered by one byte, or opened with another key: refused
        tampered = tmp_path / "tampered.tar"
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 1
        tampered.write_bytes(bytes(data))
        result = zimao("restore", str(tampered), env=env, check=False)
        assert result.returncode != 0 and "cannot be opened" in result.stderr
        result = zimao("restore", str(archive), env={**env, "ZIMAO_FIELD_KEY": "another-key"}, check=False)
        assert result.returncode != 0 and "cannot be opened" in result.stderr
        foreign = tmp_path / "foreign.tar"
        with tarfile.open(foreign, "w") as tar:
            info = tarfile.TarInfo("manifest.json")
            data = b'{"format": "something-else"}'
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        result = zimao("restore", str(foreign), env=env, check=False)
        assert result.returncode != 0 and "not a zimao backup" in result.stderr


def test_a_restore_whose_history_was_altered_does_not_verify(zone_data, tmp_path):
    """Someone edits an audit event in the database before the backup: the restore finishes but
    says the data does not verify (exit status 1), naming the broken link."""
    from zimao.core.models import AuditEvent

    victim = AuditEvent.objects.order_by("id")[2]
    AuditEvent.objects.filter(pk=victim.pk).update(actor="someone-else")
    archive = tmp_path / "zimao.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    with fresh_database(vendor(), tmp_path / "fresh") as url:
        (tmp_path / "fresh").mkdir(exist_ok=True)
        env = {**same_keys_env(tmp_path / "fresh"), "DATABASE_URL": url}
        result = zimao("restore", str(archive), env=env, check=False)
        assert result.returncode != 0
        assert "does not verify" in result.stderr and f"#{victim.pk}" in result.stderr
