"""Hostile text in JSON bodies: lone surrogates, invisible characters. Each answer is a 4xx that
says what was wrong, never a 500, and nothing is stored."""

from __future__ import annotations

import json

import pytest

from fluxtrap.store.store import MAX_TOKEN
from fluxtrap.web.api import MAX_JSON_VALUES
from fluxtrap.web.pages import example_case

from .conftest import NAME, auth, login

JSON = {"Content-Type": "application/json"}
BULK = '"params": {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}'


@pytest.mark.parametrize(
    "body, where",
    [  # a lone surrogate escape is valid JSON but no UTF-8 text; echoing it back failed (500)
        ('{"label": "S\\ud800x", ' + BULK + "}", "label"),
        ('{"label": "S1", ' + BULK + ', "notes": "\\udc80"}', "notes"),
        ('{"label": "S1", "params": {"ramp\\ud800": 50}}', "ramp\\\\ud800"),
    ],
)
def test_a_lone_surrogate_in_a_sample_is_refused_with_a_422(lab, body, where):
    r = lab.client.post(
        f"/api/campaigns/{NAME}/samples", content=body, headers={**auth("alice"), **JSON}
    )
    assert r.status_code == 422 and where in r.text, r.text
    assert lab.store.samples(NAME) == []


def test_a_lone_surrogate_in_a_suggestion_note_is_refused_with_a_422(lab):
    (sug,) = lab.client.post(
        f"/api/campaigns/{NAME}/suggestions", json={"n": 1}, headers=auth("alice")
    ).json()
    r = lab.client.patch(
        f"/api/suggestions/{sug['id']}",
        content='{"status": "discarded", "note": "bad \\udfff"}',
        headers={**auth("alice"), **JSON},
    )
    assert r.status_code == 422 and "note" in r.text, r.text
    assert lab.store.suggestion(sug["id"]).status == "open"


@pytest.mark.parametrize(
    "label", ["B\u200b1", "\u202e1B", "B1\ufeff", "B\u31641", "\uffa0B1", "B\u034f1"]
)
def test_a_label_with_invisible_characters_is_refused_naming_the_code_point(lab, label):
    """Zero-width and bidi characters let two labels look alike in every list; so do the Hangul
    fillers (letters that print as nothing, kept by NFKC) and the combining grapheme joiner."""
    body = {"label": label, "params": {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}}
    r = lab.client.post(f"/api/campaigns/{NAME}/samples", json=body, headers=auth("alice"))
    code = f"U+{ord(next(c for c in label if c not in 'B1')):04X}"
    assert r.status_code == 422 and code in r.json()["detail"], r.text
    assert lab.store.samples(NAME) == []


@pytest.mark.parametrize(
    "digits, detail",
    [  # beyond a float: OverflowError in the material; beyond 4300 digits: tomli's ValueError
        (400, "case: materials.bulk.n is an integer beyond any float"),
        (5000, "case: an integer of more than 4300 digits"),
    ],
)
def test_a_case_with_a_huge_integer_is_refused_with_a_422(lab, digits, detail):
    case = example_case().replace("n = 25", "n = 1" + "0" * digits)
    r = lab.client.post("/api/simulations", json={"case": case}, headers=auth("alice"))
    assert r.status_code == 422 and r.json()["detail"].startswith(detail), r.text
    assert lab.store.jobs() == []


def test_a_step_grid_beyond_2_53_steps_is_refused_naming_the_parameter(lab):
    """0..1e20 in steps of 1e-3 is 1e23 steps: beyond 2**53, grid points are not exact."""
    body = {
        "name": "fine",
        "parameters": [{"name": "p", "low": 0, "high": 1e20, "step": 1e-3}],
        "objectives": [{"name": "y", "goal": "maximize"}],
    }
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 422, r.text
    assert "parameter p: step 0.001 makes 1e+23 steps" in r.json()["detail"], r.text
    assert [c.name for c in lab.store.campaign_records()] == [NAME]


@pytest.mark.parametrize("expression", ["x <= 1e999", "1e999 * x <= 1", "x / 1e-320 <= 1"])
def test_a_constraint_beyond_a_float_is_a_422_not_a_500(lab, expression):
    body = {
        "name": "huge",
        "parameters": [{"name": "x", "low": 0, "high": 1}],
        "objectives": [{"name": "y"}],
        "constraints": [{"expression": expression}],
    }
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 422, r.text
    assert f"constraints[0] {expression!r}: its numbers reach beyond a float" in r.json()["detail"]
    assert [c.name for c in lab.store.campaign_records()] == [NAME]


def test_categorical_choices_that_read_alike_are_refused_at_creation(lab):
    """The record-a-sample form sends the chosen option's text ("1.0" for both): the number
    could never be recorded."""
    body = {"name": "alike", "parameters": [{"name": "gas", "choices": ["1.0", 1.0]}]}
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 422, r.text
    assert "parameter gas: choices '1.0' and 1.0 read alike" in r.json()["detail"]
    assert [c.name for c in lab.store.campaign_records()] == [NAME]


def test_a_number_typed_with_an_underscore_is_refused_not_read_as_another(lab):
    """ "7_50" was recorded as 750 degC (Python's float reads underscores between digits)."""
    body = {"label": "U1", "params": {"ramp_rate": 50, "max_temperature": "6_50", "dwell_time": 5}}
    r = lab.client.post(f"/api/campaigns/{NAME}/samples", json=body, headers=auth("alice"))
    assert r.status_code == 422, r.text
    assert "max_temperature='6_50' is not a number" in r.json()["detail"]
    assert lab.store.samples(NAME) == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"label": "\xff"}', "not UTF-8 text (byte 0xff at position 11"),
        (b"[" * 100_000 + b"]" * 100_000, "its JSON is nested too deeply"),
        (
            b'{"label": "S1", "params": {"ramp_rate": ' + b"9" * 5000 + b"}}",
            "a number in it has 5000 digits, beyond the 4300 a JSON integer may have",
        ),
    ],
)
def test_a_body_that_cannot_be_parsed_is_a_400_saying_why(lab, body, says):
    """It was a bare "There was an error parsing the body"."""
    r = lab.client.post(
        f"/api/campaigns/{NAME}/samples", content=body, headers={**auth("alice"), **JSON}
    )
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith("the body cannot be read: ") and says in r.text, r.text
    assert lab.store.samples(NAME) == []


@pytest.mark.parametrize(
    ("encoding", "says"),
    [
        ("utf-16", "not UTF-8 text (byte 0xff at position 0"),
        ("utf-32-be", "not UTF-8 text (a NUL byte at position 0: UTF-16 or UTF-32?"),
        ("utf-16-le", "not UTF-8 text (a NUL byte at position 1: UTF-16 or UTF-32?"),
    ],
)
def test_a_json_body_in_utf_16_or_32_is_a_400_as_any_not_in_utf_8(lab, encoding, says):
    """json.loads guessed UTF-16 and UTF-32 from the bytes and the sample was stored, where a
    Latin-1 body was a 400 saying JSON is sent as UTF-8; a UTF-8 byte order mark is dropped."""
    sample = {"label": "S1", "params": {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}}
    url, headers = f"/api/campaigns/{NAME}/samples", {**auth("alice"), **JSON}
    r = lab.client.post(url, content=json.dumps(sample).encode(encoding), headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith("the body cannot be read: it is ") and says in r.text
    assert lab.store.samples(NAME) == []
    r = lab.client.post(url, content=json.dumps(sample).encode("utf-8-sig"), headers=headers)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_without_a_json_content_type_is_a_422_saying_so(lab, content_type):
    """FastAPI reads the body as JSON only under a JSON Content-Type: a valid sample sent as
    text/plain (or with none, as ``curl -d`` and many scripts do) was "Input should be a valid
    dictionary or object to extract fields from", quoting the JSON back."""
    body = b'{"label": "S1", ' + BULK.encode() + b"}"
    headers = auth("alice") | ({"Content-Type": content_type} if content_type else {})
    r = lab.client.post(f"/api/campaigns/{NAME}/samples", content=body, headers=headers)
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body"] and "Content-Type: application/json" in error["msg"], r.text
    assert "input" not in error
    assert lab.store.samples(NAME) == []


def test_a_body_with_thousands_of_bad_values_gets_a_short_answer(lab):
    """Each value of ``params`` that is neither a number nor a text is two errors: 50 000 of them
    (a 0.7 MB body) were a 12 MB 422, encoded for 2.8 s in the event loop while every other
    request waited. The answer lists the first 20 errors and counts the rest."""
    body = {"label": "S1", "params": {f"k{i}": {} for i in range(5000)}}
    r = lab.client.post(f"/api/campaigns/{NAME}/samples", json=body, headers=auth("alice"))
    assert r.status_code == 422, r.text[:500]
    errors = r.json()["detail"]
    assert len(errors) == 21 and errors[0]["loc"] == ["body", "params", "k0", "float"]
    assert errors[-1]["msg"] == "and 9980 more errors, not listed (the first 20 are)"
    assert len(r.content) < 10_000, len(r.content)
    assert lab.store.samples(NAME) == []


P = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
ONE_X = {"name": "Flags", "parameters": [{"name": "x", "low": 0, "high": 1}]}


@pytest.mark.parametrize(
    ("method", "url", "body", "loc"),
    [
        ("POST", "samples", {"label": "S1", "params": {**P, "ramp_rate": True}},
         ["params", "ramp_rate"]),
        ("POST", "samples", {"label": "S1", "params": P, "objectives": {"jc_3T": True}},
         ["objectives", "jc_3T"]),
        ("POST", "samples", {"label": "S1", "params": P, "suggestion_id": True},
         ["suggestion_id"]),
        ("PUT", "samples/R1/objectives", {"objectives": {"jc_3T": False}},
         ["objectives", "jc_3T"]),
        ("POST", "/api/campaigns", {**ONE_X, "parameters": [{"name": "x", "low": False,
                                                             "high": True}]},
         ["parameters", 0, "low"]),
        ("POST", "/api/campaigns", {**ONE_X, "parameters": [{"name": "x", "fixed": True}]},
         ["parameters", 0, "fixed"]),
        ("POST", "/api/campaigns", {**ONE_X, "parameters": [{"name": "x",
                                                             "choices": [True, False]}]},
         ["parameters", 0, "choices", 0]),
        ("POST", "suggestions", {"n": True}, ["n"]),
        ("POST", "suggestions", {"n": 1, "seed": True}, ["seed"]),
    ],
)  # fmt: skip
def test_true_and_false_are_not_read_as_numbers(lab, method, url, body, loc):
    """JSON true was a lax float's 1: an objective sent as true was stored as 1 A/m^2, low=false
    and high=true were the bounds 0..1, a suggestion_id of true marked suggestion 1 used, and
    n=true asked for one suggestion. Each is a 422 naming the field, and nothing is stored."""
    from .test_api import snapshot

    lab.store.add_sample(NAME, "R1", P)
    lab.store.add_suggestions(NAME, [P], [0.1], {}, 1)
    before = snapshot(lab)
    url = url if url.startswith("/") else f"/api/campaigns/{NAME}/{url}"
    r = lab.client.request(method, url, json=body, headers=auth("alice"))
    assert r.status_code == 422, r.text
    assert any(e["loc"][1 : len(loc) + 1] == loc for e in r.json()["detail"]), r.text
    assert all(isinstance(e["input"], bool) for e in r.json()["detail"]), r.text
    assert snapshot(lab) == before


@pytest.mark.parametrize("replace", [1, "true", "yes", "on", "t"])
def test_replace_is_true_or_false_not_a_number_or_text(lab, replace):
    """A lax bool read 1, "yes", "on" and "t" as replace=true: a measured objective was
    overwritten by a client that sent a wrong type. Each is a 422 naming replace; nothing changes."""
    lab.store.add_sample(NAME, "R1", P, objectives={"jc_3T": 3e8})
    body = {"objectives": {"jc_3T": 5e8}, "replace": replace}
    r = lab.client.put(
        f"/api/campaigns/{NAME}/samples/R1/objectives", json=body, headers=auth("alice")
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "replace"], r.text
    assert lab.store.sample(NAME, "R1").objectives == {"jc_3T": 3e8}


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('{"label": "S1", "label": "S2", ' + BULK + '}', "label"),
        ('{"label": "S1", "params": {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5, '
         '"ramp_rate": 90}}', "ramp_rate"),
    ],
)  # fmt: skip
def test_a_key_given_twice_in_a_json_body_is_a_400_naming_it(lab, body, key):
    """json.loads kept the last value: a sample typed with ramp_rate twice was stored with the
    second (90) and no word of the first."""
    r = lab.client.post(
        f"/api/campaigns/{NAME}/samples", content=body, headers={**auth("alice"), **JSON}
    )
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == (
        f"the body cannot be read: the key {key!r} is given 2 times in one JSON object: give it once"
    )
    assert lab.store.samples(NAME) == []


@pytest.mark.parametrize(
    ("label", "taken"),
    [("b1", "B1"), ("\uff22\uff11", "B1"), ("B\u00a02", "B 2"), ("\ufb01re", "FIRE"),
     ("Stra\u00dfe", "STRASSE")],
)  # fmt: skip
def test_a_label_alike_another_but_for_case_or_unicode_form_is_refused(lab, label, taken):
    """ "b1" beside "B1" (or a full-width "Ｂ１", a no-break space, a ligature) was a second sample
    that reads as the first on every page: one sample typed twice."""
    lab.store.add_sample(NAME, taken, P)
    r = lab.client.post(
        f"/api/campaigns/{NAME}/samples", json={"label": label, "params": P}, headers=auth("alice")
    )
    assert r.status_code == 409, r.text
    assert f"label {label!r} is already used as {taken!r} (the same text in another Unicode " \
        "form, case or spacing)" in r.json()["detail"]  # fmt: skip
    assert [s.label for s in lab.store.samples(NAME)] == [taken]


@pytest.mark.parametrize("name", ["k-ba122 sps", "K-Ba122\u00a0SPS", "\uff2b-Ba122 SPS"])
def test_a_campaign_name_alike_another_but_for_case_or_unicode_form_is_refused(lab, name):
    """Two campaigns whose names read the same in the campaign list, each with its own samples."""
    body = {"name": name, "parameters": [{"name": "x", "low": 0, "high": 1}]}
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 409, r.text
    assert r.json()["detail"] == (
        f"campaign {name!r} already exists as {NAME!r} (the same text in another Unicode form, "
        "case or spacing)"
    )
    assert [c.name for c in lab.store.campaigns()] == [NAME]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("stauts=open", "'stauts' (did you mean 'status'?) for GET "
                        "/api/campaigns/{campaign}/suggestions; it takes limit, offset, status"),
        ("status=open&ofset=1&limt=2", "'limt' (did you mean 'limit'?), 'ofset' (did you mean "
                                       "'offset'?) for GET"),
        # 1000 of them (7 kB: a URL over 8 KiB is a 414 before the app)
        ("&".join(f"p{i}=1" for i in range(1000)), "'p0', 'p1', 'p10', 'p100', 'p101', 'p102', "
         "'p103', 'p104', 'p105', 'p106' and 990 more for GET"),
    ],
)  # fmt: skip
def test_a_query_parameter_the_operation_does_not_take_is_a_422_naming_it(lab, query, says):
    """FastAPI ignored it: a typo in ?status= listed every suggestion as if it were the answer,
    and a misspelt ?ofset= would read as the first page."""
    lab.store.add_suggestions(NAME, [{"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}],
                              [0.1], {}, 1)  # fmt: skip
    url = f"/api/campaigns/{NAME}/suggestions"
    r = lab.client.get(f"{url}?{query}", headers=auth("rita"))
    assert r.status_code == 422 and r.json()["error"] == "ValidationError", r.text
    assert r.json()["detail"].startswith("unknown query parameter(s) ") and says in r.text, r.text
    assert len(lab.client.get(f"{url}?status=open", headers=auth("rita")).json()) == 1
    assert lab.client.get(f"/api/me?{query}", headers=auth("rita")).status_code == 422


def test_a_query_parameter_given_twice_is_a_422_naming_it(lab):
    """?status=open&status=used listed the used suggestions: the last value won, silently."""
    r = lab.client.get(
        f"/api/campaigns/{NAME}/suggestions?status=open&status=used", headers=auth("rita")
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "query parameter 'status' was sent 2 times: give it once"


@pytest.mark.parametrize(
    ("parameters", "objectives", "says"),
    [
        (["\u00e9", "e\u0301"], [], "parameters[1]: name 'e\u0301': write it as '\u00e9', the "
                                     "same text in NFKC form"),
        (["\ufb01re"], [], "parameters[0]: name '\ufb01re': write it as 'fire'"),
        (["a\u3164b"], [], "parameters[0]: name 'a\u3164b': it has invisible characters (U+3164)"),
        (["x"], ["y\uffa0"], "objectives[0]: name 'y\uffa0': it has invisible characters (U+FFA0)"),
    ],
)  # fmt: skip
def test_parameter_and_objective_names_that_look_like_others_are_refused(
    lab, parameters, objectives, says
):
    """Two parameters "é" (one typed as e + U+0301) were a campaign whose form showed the same
    name twice; a constraint could not name the second (nor "ﬁre")."""
    body = {
        "name": "Alike",
        "parameters": [{"name": n, "low": 0, "high": 1} for n in parameters],
        "objectives": [{"name": n} for n in objectives],
    }
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 422 and says in r.json()["detail"], r.text
    assert [c.name for c in lab.store.campaigns()] == [NAME]


LONG = "K" * 100_000
P = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}


@pytest.mark.parametrize(
    "method, url, body, field",
    [  # each refused value was quoted whole in its error: 100 kB back for 100 kB sent
        ("POST", "samples", {"label": "B9", "params": P | {"ramp_rate": "5 " + LONG}}, "ramp_rate"),
        ("POST", "samples", {"label": "B9", "params": P | {LONG: 1}}, "params"),
        ("POST", "samples", {"label": "B9", "params": P, "objectives": {"jc_3T": LONG}}, "jc_3T"),
        ("POST", "samples", {"label": "B9", "params": P, "objectives": {LONG: 1}}, "objectives"),
        ("PUT", "samples/B1/objectives", {"objectives": {"jc_3T": "1 " + LONG}}, "jc_3T"),
        ("PUT", "samples/B1/objectives", {"objectives": {LONG: [1]}}, "objectives"),
    ],
)
def test_a_long_value_or_key_is_refused_and_not_echoed_whole(lab, method, url, body, field):
    """Values sent as text (a number with its unit, a choice) are at most 100 characters, keys
    (parameter and objective names) at most 200; the 422 names the field and quotes at most a
    few hundred characters of what was sent."""
    a = auth("alice")
    lab.client.post(f"/api/campaigns/{NAME}/samples", json={"label": "B1", "params": P}, headers=a)
    r = lab.client.request(method, f"/api/campaigns/{NAME}/{url}", json=body, headers=a)
    assert r.status_code == 422 and field in r.text, r.text[:500]
    assert "at most 100 characters" in r.text or "at most 200 characters" in r.text
    assert len(r.content) < 2000, len(r.content)
    assert [x.label for x in lab.store.samples(NAME)] == ["B1"]
    assert lab.store.sample(NAME, "B1").objectives == {}


@pytest.mark.parametrize(
    "url, says",
    [
        ("/api/campaigns/" + "C" * 8000, "no campaign named 'CCC"),
        (f"/api/campaigns/{NAME}/samples/" + "B" * 8000, "has no sample labelled 'BBB"),
        (f"/api/campaigns/{NAME}/jc?sample=" + "B" * 8000, "has no sample labelled 'BBB"),
    ],
)
def test_a_long_name_not_found_is_a_404_that_does_not_echo_it_whole(lab, url, says):
    """The 404 quoted the name asked for whole: 60 kB back for a 60 kB URL (a URL over 8 KiB is
    now a 414 before the app: 8000 characters, within it)."""
    r = lab.client.get(url, headers=auth("rita"))
    assert r.status_code == 404 and says in r.text, r.text[:300]
    assert "... (8000 characters)" in r.text and len(r.content) < 1000, len(r.content)


@pytest.mark.parametrize("temperature", ["-5 K", "0 K", "-300 degC"])
def test_a_jc_objective_at_or_below_0_K_is_refused_at_creation(lab, temperature):
    """A Jc objective at -5 K was stored: every loop uploaded was then skipped ("measured at 5 K,
    objective at -5 K") and the objective never filled. A campaign stored so still reads."""
    from fluxtrap.campaign import CampaignSpec

    body = {
        "name": "cold",
        "parameters": [{"name": "x", "low": 0, "high": 1}],
        "objectives": [{"name": "j", "quantity": "jc", "field": "3 T", "temperature": temperature}],
    }
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 422, r.text
    assert "objectives[0]: objective j: temperature" in r.text and "outside 0 K .. 1000 K" in r.text
    assert [c.name for c in lab.store.campaigns()] == [NAME]
    ok = lab.client.post(
        "/api/campaigns", json=body | {"name": "warm"} | {"objectives": [
            body["objectives"][0] | {"temperature": "5 K"}]}, headers=auth("alice"),
    )  # fmt: skip
    assert ok.status_code == 201 and ok.json()["objectives"][0]["temperature_K"] == 5.0
    stored = lab.store.campaign("warm").to_dict()
    stored["objectives"][0]["temperature_K"] = -5.0
    assert CampaignSpec.from_dict(stored, stored=True).objectives[0].temperature_K == -5.0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/api/campaigns/{NAME}/samples", {"label": "S1", "params": {f"k{i}": i for i in range(60_000)}}),
        ("/api/campaigns", {"name": "X", "parameters": [[[[[]]]]] * 80_000}),
        (f"/api/campaigns/{NAME}/suggestions", {"n": list(range(30_000))}),
    ],
)  # fmt: skip
def test_a_json_body_of_more_values_than_any_request_needs_is_refused_before_validation(
    lab, path, body
):
    """60 000 parameters of a sample (0.8 MiB) were parsed with the duplicate-key check and then
    validated into 120 000 errors: 1.1 s of the event loop to refuse, while every other request
    waited. Now the values are counted first, on the fast parse."""
    r = lab.client.post(path, json=body, headers=auth("alice"))
    assert r.status_code == 400, r.text[:500]
    assert r.json()["detail"] == (
        f"the body cannot be read: its JSON holds more than {MAX_JSON_VALUES} values (keys, "
        "numbers, strings, lists and objects each count); no request of this API needs that many"
    )
    assert lab.store.samples(NAME) == [] and [c.name for c in lab.store.campaigns()] == [NAME]


def test_the_largest_campaign_the_schema_takes_is_within_the_json_value_count(lab):
    """50 categorical parameters of 100 choices, 50 constraints: about 6 000 values, created."""
    parameters = [
        {"name": f"p{i}", "unit": "", "step": 0, "choices": [f"c{j}" for j in range(100)]}
        for i in range(50)
    ]
    constraints = [{"expression": f"tc >= {20 + i} K"} for i in range(50)]
    objectives = [{"name": "tc", "quantity": "tc", "goal": "maximize", "range": ["20 K", "150 K"]}]
    body = {"name": "Wide", "parameters": parameters, "objectives": objectives}
    r = lab.client.post("/api/campaigns", json=body | {"constraints": constraints},
                        headers=auth("alice"))  # fmt: skip
    assert r.status_code == 201, r.text[:500]
    assert len(r.json()["parameters"]) == 50


def test_the_server_keeps_what_it_loaded_at_start_out_of_the_collectors_full_passes(tmp_path):
    """A body of 400 000 empty lists took 0.4 s to parse in the server (the garbage collector's
    full passes over everything loaded), 0.05 s with that frozen; a stopped app unfreezes it."""
    import gc

    from fastapi.testclient import TestClient

    from fluxtrap.web import create_app

    from .conftest import make_store

    with TestClient(create_app(make_store(f"sqlite:///{tmp_path / 'lab.db'}"))):
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("key", ["token", "access_token", "API_KEY"])
@pytest.mark.parametrize("where", ["/api/me", f"/api/campaigns/{NAME}/samples", "/login"])
def test_a_token_in_the_url_is_refused_unread_saying_to_send_it_as_a_header(lab, key, where):
    """A token sent as ?token= was a 401 "missing token" (alone) or a 422 "unknown query
    parameter" (beside a header), with no word that URLs are logged; now a 400 before anything
    is read (no login), saying to send it as a header and to have a leaked one rotated; it is
    never quoted back."""
    from fluxtrap.web.auth import COOKIE

    from .conftest import TOKENS

    secret = TOKENS["bob"]
    for headers in ({}, auth("alice")):
        r = lab.client.get(where, params={key: secret}, headers=headers, follow_redirects=False)
        text = r.text.replace("&#x27;", "'")
        assert r.status_code == 400, (where, r.text)
        assert f"query parameter {key.lower()!r}: a token is never read from the URL" in text
        assert "'Authorization: Bearer TOKEN'" in text and "fluxtrap user rotate NAME" in text
        assert secret not in r.text and COOKIE not in r.headers.get("set-cookie", "")
    assert lab.store.session_count() == 0


def test_a_url_beyond_8_kib_is_a_414_before_its_query_is_parsed(lab):
    """A 60 KB query reached the app (6000 parameters parsed and named back; in several TCP
    segments, beyond h11's buffer, it was uvicorn's bare "Invalid HTTP request received.");
    now a 414 naming the URL's size and the limit; one just within it is read."""
    from fluxtrap.web.limits import Limits

    limit = Limits().max_header
    path = "/api/campaigns/K-Ba122%20SPS/samples?limit=1"
    within = path + "&offset=" + "0" * (limit - len(path) - len("&offset="))
    assert len(within) == limit
    r = lab.client.get(within, headers=auth("alice"))
    assert r.status_code == 200, r.text[:300]
    r = lab.client.get(within + "0", headers=auth("alice"))
    assert r.status_code == 414, r.text[:300]
    assert f"the URL is {limit + 1} bytes long, at most {limit} are read" in r.json()["detail"]
    r = lab.client.get(f"/campaigns/{NAME}?" + "x=1&" * 3000)  # a page: the short HTML page
    assert r.status_code == 414 and f"at most {limit} are read" in r.text


@pytest.mark.parametrize(
    ("method", "where", "takes"),
    [
        ("PUT", "/api/campaigns", "GET, HEAD, POST"),
        ("DELETE", f"/api/campaigns/{NAME}", "GET, HEAD"),
        ("TRACE", "/api/me", "GET, HEAD"),
        ("DELETE", "/login", "GET, HEAD, POST"),
    ],
)
def test_a_method_a_path_does_not_take_is_a_405_naming_those_it_takes(lab, method, where, takes):
    """Starlette's 405 said "Method Not Allowed" and its Allow header named the first route's
    methods only (PUT /api/campaigns: "GET", though POST creates one)."""
    r = lab.client.request(method, where, headers=auth("alice"))
    assert r.status_code == 405 and r.headers["allow"] == takes, (r.headers, r.text)
    assert f"{method} is not allowed on {where}: it takes {takes}" in r.text


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("/api/campaigns/x/samples/B1/status", "the API's addresses are listed at /docs"),
        ("/api/nothing", "the API's addresses are listed at /docs"),
        ("/static/../../etc/passwd", "see /"),
        ("/nothing/here", "see /"),
    ],
)
def test_an_address_no_route_takes_is_a_404_saying_so(lab, where, says):
    """The router's 404 said "Not Found" only, as a missing sample's does but naming nothing:
    a client could not tell a mistyped address from a missing sample."""
    r = lab.client.get(where, headers=auth("alice"))
    assert r.status_code == 404, r.text
    text = r.json()["detail"] if where.startswith("/api") else r.text
    assert "no such address: GET /" in text and says in text, text


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\x1b"])
def test_bidi_overrides_in_free_text_are_refused_naming_the_code_point(lab, char):
    """HTML escaping leaves a U+202E (right-to-left override) in place, so a note "\u202egpj.exe"
    was shown as "exe.jpg"; every free text the server stores is refused holding one (or an
    isolate, or a control character such as ESC), naming it and where, and nothing changes."""
    code, api = f"U+{ord(char):04X}", f"/api/campaigns/{NAME}/samples"
    body = {"label": "S1", "params": {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}}
    r = lab.client.post(api, json={**body, "notes": f"see {char}gpj.exe"}, headers=auth("alice"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"sample 'S1': notes: holds {code} at character 5")
    assert lab.store.samples(NAME) == []
    assert lab.client.post(api, json=body, headers=auth("alice")).status_code == 201
    r = lab.client.patch(
        f"{api}/S1", json={"status": "failed", "note": f"{char}kcarc"}, headers=auth("alice")
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"sample 'S1': status note: holds {code} at character 1")
    assert lab.store.sample(NAME, "S1").status == "made"
    (sug,) = lab.client.post(
        f"/api/campaigns/{NAME}/suggestions", json={"n": 1}, headers=auth("alice")
    ).json()
    r = lab.client.patch(
        f"/api/suggestions/{sug['id']}",
        json={"status": "discarded", "note": f"a{char}b"},
        headers=auth("alice"),
    )
    assert r.status_code == 422 and f"status note: holds {code} at character 2" in r.text, r.text
    assert lab.store.suggestion(sug["id"]).status == "open"
    case = example_case() + f"\n# run by {char}ecila\n"
    r = lab.client.post("/api/simulations", json={"case": case}, headers=auth("alice"))
    line = case.count("\n")
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"case: line {line}, column 10: {code}")
    assert lab.store.jobs() == []


def test_text_stored_before_reordering_characters_were_refused_shows_them_escaped(lab):
    """Notes, status notes and titles stored before bidi overrides and control characters were
    refused came onto the pages as they are: a note "see \u202egpj.exe" read "see exe.jpg". The
    pages show such characters as escapes ("\\u202e") now; the store keeps them."""
    from sqlalchemy import text

    from fluxtrap.web.auth import COOKIE

    api = f"/api/campaigns/{NAME}/samples"
    body = {"label": "S1", "params": {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}}
    assert lab.client.post(api, json=body, headers=auth("alice")).status_code == 201
    body = {**body, "label": "S2", "objectives": {"jc_3T": 1e9}}
    assert lab.client.post(api, json=body, headers=auth("alice")).status_code == 201
    (sug,) = lab.client.post(
        f"/api/campaigns/{NAME}/suggestions", json={"n": 1}, headers=auth("alice")
    ).json()
    job = lab.store.add_job("job", example_case(), "alice", per_user=2, total=3)
    old = "see \u202egpj.exe \x1b[2J"
    with lab.store.engine.begin() as conn:  # as an older version stored them
        conn.execute(text("UPDATE samples SET notes = :t, status_note = :t"), {"t": old})
        conn.execute(text("UPDATE samples SET label = 'S2 \u202e' WHERE label = 'S2'"))
        conn.execute(
            text("UPDATE suggestions SET status = 'discarded', status_note = :t"), {"t": old}
        )
        conn.execute(text("UPDATE jobs SET title = :t, error = :t"), {"t": old})
    cookies = {COOKIE: login(lab.store, "alice")}
    for page in (f"/campaigns/{NAME}", f"/campaigns/{NAME}/model", f"/jobs/{job.id}"):
        r = lab.client.get(page, cookies=cookies)
        assert r.status_code == 200, (page, r.text)
        assert "\u202e" not in r.text and "\x1b" not in r.text, page
        assert "see \\u202egpj.exe \\u001b[2J" in r.text, page
    assert lab.store.sample(NAME, "S1").notes == old
    # the progress figure's hover text: the label as a page shows it (JSON of "S2 \\u202e")
    page = lab.client.get(f"/campaigns/{NAME}", cookies=cookies).text
    assert '"text": ["S1", "S2 \\\\u202e"]' in page


def test_a_422_quotes_a_short_escaped_excerpt_of_a_huge_body(lab):
    """A NUL in the value of a 900 000-character key was named by its whole path: the 422 was
    as long as the body; a reordering or control character in an input or key came back as it
    is (a client showing the answer reordered its line)."""
    url, headers = f"/api/campaigns/{NAME}/samples", {**auth("alice"), **JSON}
    key = "r" * 900_000
    r = lab.client.post(url, json={"label": "S", "params": {key: "\x00"}}, headers=headers)
    (error,) = r.json()["detail"]
    assert r.status_code == 422 and len(r.content) < 2000, len(r.content)
    assert "a NUL character (\\x00) at body.'params'.'rrrr" in error["msg"], error
    assert error["msg"].endswith("rrrr'...: text may not hold one"), error["msg"][-80:]
    sneaky = "a\x1b[2J\u202e" + key
    r = lab.client.post(url, json={"label": "S", "params": {sneaky: 1}}, headers=headers)
    (error,) = r.json()["detail"]
    assert r.status_code == 422 and len(r.content) < 2000, len(r.content)
    assert error["input"].startswith("a\\u001b[2J\\u202err") and error["loc"][2] == error["input"]
    assert error["input"].endswith("... (900006 characters)") and len(error["input"]) < 250
    assert lab.store.samples(NAME) == []


def test_an_over_long_bearer_token_is_refused_before_the_store_is_asked(lab, monkeypatch):
    """An 8000-character token (within the 8 KiB header line) was hashed and looked up on every
    request; no token is over MAX_TOKEN characters: a 401 at once."""

    def asked(token):
        raise AssertionError("the store was asked")

    monkeypatch.setattr(lab.store, "user_by_token", asked)
    r = lab.client.get("/api/me", headers={"Authorization": "Bearer " + "t" * 8000})
    assert r.status_code == 401 and r.json()["detail"] == (
        f"unknown token: 8000 characters, over {MAX_TOKEN}"
    )
    assert r.headers["www-authenticate"].startswith("Bearer")
