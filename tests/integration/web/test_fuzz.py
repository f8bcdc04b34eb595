"""Property-based fuzzing of the REST API from its own OpenAPI schema (schemathesis): no input,
valid or not, with a writer's or a reader's token, makes the server answer 5xx, and every answer
has a documented status code and matches the schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from fluxtrap.web import create_app

from .conftest import NAME, auth, make_store

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


_TMP = tempfile.TemporaryDirectory(prefix="fluxtrap-fuzz-")  # removed when the test process ends


def _app():
    """One store for the whole run (schemathesis needs the app at collection): fuzzed writes pile
    up in it, as on a real server."""
    store = make_store(f"sqlite:///{Path(_TMP.name) / 'fuzz.db'}")
    store.add_sample(NAME, "B1", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
    return create_app(store)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_writer_input_never_makes_a_server_error(case):
    case.call_and_validate(headers=auth("alice"), checks=CHECKS)


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_reader_input_never_makes_a_server_error(case):
    case.call_and_validate(headers=auth("rita"), checks=CHECKS)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_writer_input_on_the_real_campaign_never_makes_a_server_error(case):
    """The same with the path aimed at the existing campaign and sample, so bodies, uploads and
    asks reach the store, the analysis and the optimizer instead of stopping at a 404."""
    for key, value in (("campaign", NAME), ("label", "B1")):
        if key in (case.path_parameters or {}):
            case.path_parameters[key] = value
    case.call_and_validate(headers=auth("alice"), checks=CHECKS)
