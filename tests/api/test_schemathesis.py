"""The OpenAPI document and the service agree, for every role: schemathesis generates
requests from the document (valid and invalid ones) against the demo service and runs
every check it has. A 5xx, an undocumented status or content type, a schema-valid request
refused for its shape, or a schema-violating one accepted fails the test.

The one widening: a schema-valid request may be refused with 422 ``unprocessable`` (see
``core.errors.Unprocessable``): it names something the data in force does not have (a
rule, an agent, a scenario) or reads fields together in a way JSON Schema cannot say.

Bounded for CI (``ZHICE_TEST_FUZZ_EXAMPLES`` per operation and role, default 12) and
derandomized, so a failure reproduces; raise the number locally to search wider.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from audit.key_lifecycle import create_key
from audit.ledger import CLI_ADMIN
from core.db import get_engine, upgrade, write_session
from core.errors import Unprocessable
from core.keys import ApiKeyCreate, Role
from core.settings import Settings

EXAMPLES = int(os.environ.get("ZHICE_TEST_FUZZ_EXAMPLES", "12"))


def _kinds(error: type[Unprocessable]) -> set[str]:
    return {f"urn:zhice:problem:{error.slug}"}.union(*(_kinds(sub) for sub in error.__subclasses__()))


UNPROCESSABLE = _kinds(Unprocessable)  # unprocessable, rule-invalid (a CEL condition that does not compile)


@schemathesis.check
def schema_valid_request_accepted(ctx, response, case):
    """Schemathesis's positive-data check, but a refusal on meaning (422 unprocessable) is allowed."""
    if response.status_code == 422 and _problem_type(response) in UNPROCESSABLE:
        return None
    return positive_data_acceptance(ctx, response, case)


def _problem_type(response) -> str | None:
    try:
        return response.json().get("type")
    except ValueError:
        return None


# The app is built at import (cheap: its lifespan starts with the first request), so that
# each operation is a test of its own; its data lives in a folder of its own.
FOLDER = Path(tempfile.mkdtemp(prefix="zhice-fuzz-"))
SETTINGS = Settings(data_dir=FOLDER, database_url=f"sqlite:///{FOLDER / 'zhice.db'}")
APP = create_app(SETTINGS, demo=True)
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP
schema.config.generation.update(max_examples=EXAMPLES)
# a body over ZHICE_MAX_BODY_BYTES is refused before it is read: 413 is a rejection too
rejection = schema.config.checks.negative_data_rejection
rejection.expected_statuses = [*rejection.expected_statuses, "413"]


@pytest.fixture(scope="module")
def role_keys() -> Iterator[dict[Role, str]]:
    engine = get_engine(SETTINGS.resolved_database_url)
    upgrade(engine)
    with write_session(engine) as session:
        keys = {role: create_key(session, ApiKeyCreate(name=f"fuzz-{role}", role=role), actor=CLI_ADMIN).key for role in Role}
    yield keys
    asgi.shutdown_lifespans()
    engine.dispose()
    shutil.rmtree(FOLDER, ignore_errors=True)


@pytest.mark.parametrize("role", list(Role), ids=str)
@schema.parametrize()
@settings(derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_keeps_the_documented_contract(case, role: Role, role_keys: dict[Role, str]) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {role_keys[role]}"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[schema_valid_request_accepted],
    )
