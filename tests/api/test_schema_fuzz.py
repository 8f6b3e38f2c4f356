"""Property-based run of schemathesis against ``/openapi.json``, in WSGI mode on the Flask app.

Every operation gets generated valid and invalid inputs (bounded ``max_examples`` keeps the run
short) and every built-in check runs: no 5xx, documented status codes, media types, headers and
schemas, invalid input rejected, valid input accepted, 405 for undocumented methods. Schemathesis
cannot parse NDJSON, so batch lines are checked here against the documented ``BatchLine``.

The schema is read from ``/openapi.json`` of an app built at import time (the document does not
depend on the model), and the requests go to the session's app over the trained demo model.
Schemathesis' lazy ``from_fixture`` loader would avoid that, but it does not run under pytest 9.
"""
from __future__ import annotations

import json
import os
import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api import create_app
from api.schema.openapi import SCHEMAS

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


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema(case, shared_app):
    response = case.call(app=shared_app)
    # An event time more than 5 minutes ahead of the clock is refused: a rule JSON Schema cannot state.
    clock_rule = response.status_code == 400 and "5 minutes in the future" in response.text
    case.validate_response(response, excluded_checks=[positive_data_acceptance] if clock_rule else [])
    if response.status_code == 200 and response.headers.get("content-type", [""])[0].startswith("application/x-ndjson"):
        for line in response.text.splitlines():
            answer = json.loads(line)
            assert set(answer) == LINE_FIELDS and all(set(item) == ITEM_FIELDS for item in answer["items"])
