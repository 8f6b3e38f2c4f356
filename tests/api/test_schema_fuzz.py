"""Property-based run of schemathesis against ``/openapi.json``, in WSGI mode on the Flask app.

Every operation gets generated valid and invalid inputs (bounded ``max_examples`` keeps the run
short) and every built-in check runs: no 5xx, documented status codes, media types, headers and
schemas, invalid input rejected, valid input accepted, 405 for undocumented methods. Schemathesis
cannot parse NDJSON, so batch lines are checked here against the documented ``BatchLine``.

The schema is read from ``/openapi.json`` of an app built at import time (the document does not
depend on the model), and the requests go to this module's app over the session's trained demo
model, with a data folder of its own (the events and rules it generates reach no other test).
Schemathesis' lazy ``from_fixture`` loader would avoid that, but it does not run under pytest 9.
"""
from __future__ import annotations

import json
import os
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api import create_app
from api.schema.openapi import SCHEMAS

from .conftest import make_app

# Hypothesis' caches go to the temporary folder rather than .hypothesis/ in the work tree.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "vitrine-hypothesis"))
MAX_EXAMPLES = 100
LINE_FIELDS = {"user_id", *SCHEMAS["ListAnswer"]["required"]}
ITEM_FIELDS = set(SCHEMAS["Item"]["required"])



@schemathesis.serializer("application/x-ndjson")
def _ndjson(_context, value) -> bytes:
    """The events endpoint's NDJSON body: one event a line."""
    return json.dumps(value).encode() + b"\n"


schema = schemathesis.openapi.from_wsgi("/openapi.json", create_app({"MODELS_DIR": "/nonexistent"}))


@pytest.fixture(scope="module")
def fuzzed_app(models_dir, tmp_path_factory):
    """An app of its own: the generated events and rules must not reach other tests' answers."""
    return make_app(models_dir, DATA_DIR=str(tmp_path_factory.mktemp("fuzz-data")))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema(case, fuzzed_app):
    response = case.call(app=fuzzed_app)
    # An event time more than 5 minutes ahead of the clock is refused: a rule JSON Schema cannot state.
    clock_rule = response.status_code == 400 and "5 minutes in the future" in response.text
    case.validate_response(response, excluded_checks=[positive_data_acceptance] if clock_rule else [])
    if response.status_code == 200 and response.headers.get("content-type", [""])[0].startswith("application/x-ndjson"):
        for line in response.text.splitlines():
            answer = json.loads(line)
            assert set(answer) == LINE_FIELDS and all(set(item) == ITEM_FIELDS for item in answer["items"])
