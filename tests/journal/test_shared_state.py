"""The service's shared state in the journal: the same behaviour on every engine, and what a
second connection (another ``serve`` process) sees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from medcom_adapter.journal.shared import KeyRecord, StoreFull, Unit, lookup
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import Clock, Opener

IDLE, LONGEST = timedelta(minutes=30), timedelta(hours=12)
UNIT = Unit("953741000016009", "5790000123452")


def _key(clock: Clock, id: str = "a1b2c3d4e5f6") -> KeyRecord:
    return KeyRecord(id, "sbsys", "0" * 64, ("read",), (UNIT, Unit("123456")), clock.now)


def test_keys_added_revoked_and_seen_by_a_second_connection(open_store: Opener,
                                                             clock: Clock) -> None:
    first, second = open_store(), open_store()
    first.shared.add_key(_key(clock))
    assert second.shared.key("a1b2c3d4e5f6") == _key(clock)
    assert first.shared.revoke_key("a1b2c3d4e5f6", clock.now)
    found = second.shared.key("a1b2c3d4e5f6")
    assert found is not None and found.revoked and found.revoked_at == clock.now
    assert not first.shared.revoke_key("000000000000", clock.now)
    assert first.shared.set_webhook("a1b2c3d4e5f6", "https://fagsystem.example/", "ab" * 32)
    found = second.shared.key("a1b2c3d4e5f6")
    assert found is not None and found.webhook_secret == "ab" * 32
    assert [k.id for k in second.shared.all_keys()] == ["a1b2c3d4e5f6"]
    with pytest.raises(Exception):  # noqa: B017 - the engine's own integrity error
        first.shared.add_key(_key(clock))


def test_a_launch_is_taken_once_whichever_connection_asks(open_store: Opener,
                                                          clock: Clock) -> None:
    first, second = open_store(), open_store()
    first.shared.put_launch("ref", b"context", clock.now + timedelta(minutes=5), clock.now)
    taken = second.shared.take_launch("ref")
    assert taken is not None and taken[0] == b"context"
    assert first.shared.take_launch("ref") is None
    assert second.shared.take_launch("ref") is None


def test_sessions_expire_after_inactivity_and_end_at_logout(open_store: Opener,
                                                            clock: Clock) -> None:
    first, second = open_store(), open_store()
    first.shared.start_session("sid", b"payload", clock.now, IDLE, LONGEST)
    for _ in range(3):  # kept alive by use, from either process
        clock.advance(minutes=29)
        assert second.shared.session("sid", clock.now, IDLE, LONGEST) == b"payload"
    first.shared.put_draft("sid", "d1", b"draft", clock.now)
    assert second.shared.draft("sid", "d1") == b"draft"
    assert second.shared.draft("other", "d1") is None  # bound to its session
    clock.advance(minutes=30)
    assert first.shared.session("sid", clock.now, IDLE, LONGEST) is None
    assert first.shared.draft("sid", "d1") is None  # the drafts went with it
    first.shared.start_session("s2", b"p", clock.now, IDLE, LONGEST)
    first.shared.update_session("s2", b"p2")
    assert second.shared.session("s2", clock.now, IDLE, LONGEST) == b"p2"
    second.shared.end_session("s2")
    assert first.shared.session("s2", clock.now, IDLE, LONGEST) is None


def test_a_session_ends_after_the_longest_time_however_busy(open_store: Opener,
                                                            clock: Clock) -> None:
    journal = open_store()
    journal.shared.start_session("sid", b"p", clock.now, IDLE, LONGEST)
    for _ in range(24):
        clock.advance(minutes=29)
        journal.shared.session("sid", clock.now, IDLE, LONGEST)
    clock.advance(minutes=29)
    assert journal.shared.session("sid", clock.now, IDLE, LONGEST) is None


def test_a_draft_is_taken_once_and_the_oldest_goes_beyond_the_bound(open_store: Opener,
                                                                    clock: Clock) -> None:
    journal = open_store()
    journal.shared.start_session("sid", b"p", clock.now, IDLE, LONGEST)
    bound = journal.shared.limits.drafts_per_session
    for n in range(bound + 1):
        clock.advance(seconds=1)
        journal.shared.put_draft("sid", f"d{n}", str(n).encode(), clock.now)
    assert journal.shared.draft("sid", "d0") is None
    assert journal.shared.draft("sid", f"d{bound}") == str(bound).encode()
    assert journal.shared.take_draft("sid", "d1") == b"1"
    assert journal.shared.take_draft("sid", "d1") is None


def test_launches_and_sessions_are_bounded(open_store: Opener, clock: Clock) -> None:
    journal = open_store()
    journal.shared.limits = type(journal.shared.limits)(launches=2, sessions=2)
    later = clock.now + timedelta(minutes=5)
    journal.shared.put_launch("a", b"", later, clock.now)
    journal.shared.put_launch("b", b"", later, clock.now)
    with pytest.raises(StoreFull):
        journal.shared.put_launch("c", b"", later, clock.now)
    clock.advance(minutes=5)  # expired entries make room
    journal.shared.put_launch("c", b"", clock.now + timedelta(minutes=5), clock.now)
    journal.shared.start_session("s1", b"", clock.now, IDLE, LONGEST)
    journal.shared.start_session("s2", b"", clock.now, IDLE, LONGEST)
    with pytest.raises(StoreFull):
        journal.shared.start_session("s3", b"", clock.now, IDLE, LONGEST)


def test_secret_ids_and_payloads_are_not_stored_in_the_clear(sql_journal: SqlJournal,
                                                              clock: Clock) -> None:
    shared = sql_journal.shared
    shared.put_launch("launch-reference", b"CPR 2509479989", clock.now + timedelta(minutes=5),
                      clock.now)
    shared.start_session("session-id", b"CPR 2509479989", clock.now, IDLE, LONGEST)
    shared.put_draft("session-id", "d1", b"%PDF- CPR 2509479989", clock.now)
    db = sql_journal.db
    rows = [*db.rows("SELECT * FROM launches"), *db.rows("SELECT * FROM sessions"),
            *db.rows("SELECT * FROM drafts")]
    text = repr(rows)
    assert "2509479989" not in text and "launch-reference" not in text
    assert "session-id" not in text and lookup("session-id") in text
    # a payload moved to another session's row does not decrypt there
    shared.start_session("other", b"x", clock.now, IDLE, LONGEST)
    (sealed,) = db.rows("SELECT payload FROM sessions WHERE id = ?", (lookup("session-id"),))[0]
    db.run("UPDATE sessions SET payload = ? WHERE id = ?", (sealed, lookup("other")))
    with pytest.raises(Exception, match="fails authentication"):
        shared.session("other", clock.now, IDLE, LONGEST)


def test_page_marks_and_links_are_seen_by_a_second_connection(open_store: Opener) -> None:
    first, second = open_store(), open_store()
    first.shared.set_mark(7, "besvaret")
    first.shared.set_mark(7, "besvaret")  # twice is once
    first.shared.set_mark(9, "aabnet")
    first.shared.set_mark(3, "kopi-til-egen-laege", 5)
    first.shared.set_mark(3, "kopi-til-egen-laege", 4)
    assert second.shared.marked([7, 8, 9], "besvaret") == {7}
    assert second.shared.marked([7, 8, 9], "aabnet") == {9}
    assert second.shared.marked([3], "kopi-til-egen-laege") == set()  # a link is no mark
    assert second.shared.linked(3, "kopi-til-egen-laege") == (4, 5)
    second.shared.set_mark(7, "besvaret", on=False)
    assert first.shared.marked([7], "besvaret") == set()
    assert first.shared.marked([], "besvaret") == set()
