"""Cloud inputs: whatever arrives at the HQ's API, it answers with a reason and never
with a server error, and one store's till can neither read nor write another store's
data.

The HQ is served for real on 127.0.0.1 (SQLite file). Schemathesis reads its OpenAPI
from the running server and sends requests generated from it (valid and invalid
bodies, paths, queries), half with a real till's token and its own device id in the
path so the checks reach past authentication into enrollment, ingest and the feed.

CI sends 30 requests an operation; the full run is 1,000:
`POS_CLOUD_EXAMPLES=1000 scripts/test tests/reliability/test_cloud_inputs.py -s`.
$POS_CLOUD_SEED replays a run.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings
from reliability.figures import report
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from sqlalchemy import Engine, func, select

from cloud.hq import feed
from cloud.hq.app import RateLimit, create_app
from cloud.hq.database import database_url, open_engine
from cloud.hq.devices import new_enrollment_code
from cloud.hq.schema import DEVICES, EVENTS
from cloud.serving import serving
from pos.ledger.database import Ledger, utc_now
from sync.client import enroll
from sync.outbox import next_batch

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("POS_CLOUD_EXAMPLES", "30"))
SEED = int(os.environ.get("POS_CLOUD_SEED", random.SystemRandom().randrange(1 << 30)))


@dataclass
class HQ:
    url: str
    engine: Engine
    tokens: dict[str, str]
    """Device id -> its bearer token: N01 of store north, S01 of store south."""


def enroll_in(hq_url: str, engine: Engine, store_id: str, device_id: str) -> str:
    with engine.begin() as conn:
        code = new_enrollment_code(conn, store_id, utc_now())
    return enroll(hq_url, code, device_id).token


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[HQ]:
    engine = open_engine(database_url(None, tmp_path / "hq"))
    # No rate limit: it would answer most of a fast run with 429, checking nothing.
    with serving(create_app(engine, rate_limit=RateLimit(1e9, 1e9)), "HQ") as url:
        tokens = {
            "N01": enroll_in(url, engine, "north", "N01"),
            "S01": enroll_in(url, engine, "south", "S01"),
        }
        yield HQ(url, engine, tokens)
    engine.dispose()


@pytest.fixture
def hq_schema(hq: HQ) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{hq.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("hq_schema")


@pytest.fixture(scope="module")
def statuses() -> Iterator[Counter[str]]:
    """Answers by operation and status; reported when this process is done with the
    module (under xdist each worker reports its share and scripts/reliability adds up)."""
    seen: Counter[str] = Counter()
    yield seen
    print(json.dumps(dict(sorted(seen.items())), indent=1))
    report(
        "cloud_inputs",
        SEED,
        requests=sum(seen.values()),
        server_errors=sum(n for key, n in seen.items() if key.endswith(" 500")),
        refused_with_reason=sum(n for key, n in seen.items() if int(key.split()[-1]) >= 400),
    )


@schema.parametrize()
@seed(SEED)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_request_makes_the_cloud_fail(case: Case, hq: HQ, statuses: Counter[str]) -> None:
    headers = {}
    # Half the requests as the real till N01 (token and, in a path, its own id), so
    # they pass authentication; the rest with whatever was generated.
    if random.Random(repr(case.body) + repr(case.query)).random() < 0.5:
        headers["Authorization"] = f"Bearer {hq.tokens['N01']}"
        if case.path_parameters and "device_id" in case.path_parameters:
            case.path_parameters["device_id"] = "N01"
    response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
    statuses[f"{case.operation.label} {response.status_code}"] += 1
    if response.status_code >= 400:
        answer = response.json()
        assert set(answer) >= {"code", "message"}, answer  # every refusal says why
        assert answer["message"].strip()


def chain_of(tmp_path: Path, device_id: str, events: int) -> Ledger:
    """A till's ledger with a real chain of `events` events."""
    ledger = Ledger.open(tmp_path / f"{device_id}.db", device_id)
    with ledger.transaction() as writer:
        for number in range(events):
            writer.append("ledger.created", {"device_id": device_id, "n": number})
    return ledger


def stored(engine: Engine, device_id: str) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [
            (row.seq, row.hash)
            for row in conn.execute(
                select(EVENTS.c.seq, EVENTS.c.hash)
                .where(EVENTS.c.device_id == device_id)
                .order_by(EVENTS.c.seq)
            )
        ]


def test_one_stores_till_cannot_read_or_write_another_stores_data(hq: HQ, tmp_path: Path) -> None:
    north = chain_of(tmp_path, "N01", 5)
    with north.read() as conn:
        batch = next_batch(conn)
    north.close()
    assert batch is not None
    as_north = httpx.Client(
        base_url=hq.url, headers={"Authorization": f"Bearer {hq.tokens['N01']}"}
    )
    as_south = httpx.Client(
        base_url=hq.url, headers={"Authorization": f"Bearer {hq.tokens['S01']}"}
    )
    with as_north, as_south:
        pushed = as_north.post("/v1/devices/N01/events", content=batch.body())
        assert pushed.status_code == 200, pushed.text
        before = stored(hq.engine, "N01")
        assert len(before) == 5

        # Reading the other store's till: refused, and nothing of it in the answer.
        answer = as_south.get("/v1/devices/N01")
        assert answer.status_code == 403
        assert "acked_through" not in answer.json()
        assert "north" not in answer.text

        # Writing as the other store's till: its own events, replayed under its id.
        answer = as_south.post("/v1/devices/N01/events", content=batch.body())
        assert answer.status_code == 403, answer.text
        # ... or under the south till's own id: they are not south's chain.
        answer = as_south.post("/v1/devices/S01/events", content=batch.body())
        assert answer.status_code == 409, answer.text
        assert stored(hq.engine, "S01") == []
        assert stored(hq.engine, "N01") == before

        # Taking over the north till's id with an enrollment code of the south store.
        with hq.engine.begin() as conn:
            code = new_enrollment_code(conn, "south", utc_now())
        answer = httpx.post(f"{hq.url}/v1/enrollments", json={"code": code, "device_id": "N01"})
        assert answer.status_code == 409, answer.text
        assert "token" not in answer.json()
        assert as_north.get("/v1/devices/N01").json()["store_id"] == "north"
        with hq.engine.connect() as conn:
            owners = dict(conn.execute(select(DEVICES.c.device_id, DEVICES.c.store_id)).all())
        assert owners == {"N01": "north", "S01": "south"}

        # The feed: each till reads its own, its store's and the chain's changes only.
        now = "2026-01-01T00:00:00.000000Z"
        with hq.engine.begin() as conn:
            feed.append(conn, "for.n01", {"secret": "n01"}, now, device_id="N01")
            feed.append(conn, "for.north", {"secret": "north"}, now, store_id="north")
            feed.append(conn, "for.south", {"secret": "south"}, now, store_id="south")
            feed.append(conn, "for.s01", {"secret": "s01"}, now, device_id="S01")
            feed.append(conn, "for.chain", {"secret": "none"}, now)
        for client, mine in (
            (as_north, ["for.n01", "for.north", "for.chain"]),
            (as_south, ["for.south", "for.s01", "for.chain"]),
        ):
            answer = client.get("/v1/feed", params={"limit": 100})
            assert answer.status_code == 200, answer.text
            assert [change["kind"] for change in answer.json()["changes"]] == mine
            # A cursor made up to start anywhere does not widen what the till may see.
            forged = client.get("/v1/feed", params={"cursor": feed.encode_cursor(0)})
            assert [change["kind"] for change in forged.json()["changes"]] == mine

    with hq.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EVENTS)).scalar() == 5


def test_routing_refusals_say_why_in_the_apis_shape(hq: HQ) -> None:
    """Found by the property-based run: a wrong method or path got Starlette's
    {detail}, not the {code, message} every other error has."""
    for method, path, status, code in (
        ("PUT", "/v1/health", 405, "method_not_allowed"),
        ("DELETE", "/v1/devices/N01", 405, "method_not_allowed"),
        ("GET", "/v1/nowhere", 404, "not_found"),
    ):
        answer = httpx.request(method, f"{hq.url}{path}")
        assert answer.status_code == status
        assert answer.json()["code"] == code
        assert answer.json()["message"]
