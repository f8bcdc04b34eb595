"""The REST API through FastAPI's TestClient: every endpoint, its auth and its error paths."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from fluxtrap.campaign import CampaignSpec
from fluxtrap.web.auth import COOKIE

from .conftest import NAME, TOKENS, auth, login

P = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
C = "/api/campaigns/K-Ba122%20SPS"


def snapshot(lab) -> tuple:
    """Everything a write could change, to check that a refused write changed nothing."""
    s = lab.store
    return (
        [(c.spec.to_dict(), c.created_by) for c in s.campaign_records()],
        [(x.label, x.params, x.objectives, x.recorded_by) for x in s.samples(NAME)],
        [(x.id, x.status, x.status_changed_by, x.status_changed_at) for x in s.suggestions(NAME)],
        [(x.id, x.sha256) for x in s.measurements(NAME, with_content=False)],
    )


def test_me_names_the_user_of_the_token(lab):
    assert lab.client.get("/api/me", headers=auth("rita")).json() == {
        "name": "rita",
        "role": "reader",
    }


@pytest.mark.parametrize(
    "headers, why",
    [
        ({}, "missing token"),
        ({"Authorization": "Bearer not-a-token"}, "unknown token"),
        ({"Authorization": "Basic YWxpY2U6eA=="}, "missing token"),
    ],
)
def test_no_or_wrong_token_is_401_for_reads_and_writes(lab, headers, why):
    before = snapshot(lab)
    for method, url, body in [
        ("GET", "/api/campaigns", None),
        ("GET", f"{C}/samples", None),
        ("POST", f"{C}/samples", {"label": "X1", "params": P}),
        (
            "POST",
            "/api/campaigns",
            {"name": "new", "parameters": [{"name": "x", "low": 0, "high": 1}]},
        ),
    ]:
        r = lab.client.request(method, url, json=body, headers=headers)
        assert r.status_code == 401, (method, url)
        assert why in r.json()["detail"]
        assert r.headers["www-authenticate"] == "Bearer"
    assert snapshot(lab) == before


@pytest.mark.parametrize(
    "value, said",
    [
        ("Token {}", "the Authorization header's scheme is 'Token', not Bearer"),
        ("{}", "the Authorization header holds one word, without the scheme"),
        ("Bearer", "the Authorization header says Bearer but holds no token"),
    ],
)
def test_a_token_sent_without_bearer_is_told_what_the_header_held(lab, value, said):
    """A token sent as 'Token X' (another framework's scheme) or bare was a 401 'missing token'
    alone, as if no header had been sent; the answer names the scheme read, never the token."""
    before = snapshot(lab)
    r = lab.client.post(f"{C}/samples", json={"label": "X1", "params": P},
                        headers={"Authorization": value.format(TOKENS["alice"])})  # fmt: skip
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert said in r.json()["detail"] and "'Authorization: Bearer <token>'" in r.json()["detail"]
    assert TOKENS["alice"] not in r.text
    assert snapshot(lab) == before


def test_a_body_that_is_not_json_is_refused_saying_why_and_where(lab):
    """Malformed JSON was a 422 'JSON decode error' with an empty object as its input, the
    reason and the position left in ctx and loc: the message says both now."""
    before = snapshot(lab)
    body = '{"label": "B1", "params": }'
    r = lab.client.post(f"{C}/samples", content=body, headers=auth("alice")
                        | {"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert (
        error["msg"]
        == f"the body is not valid JSON: Expecting value at character {len(body) - 1} (from 0)"
    )
    assert "input" not in error and error["loc"] == ["body", len(body) - 1]
    assert snapshot(lab) == before


def test_reader_reads_but_cannot_write(lab):
    lab.store.add_sample(NAME, "B1", P, recorded_by="alice")
    sug = lab.store.add_suggestions(NAME, [P | {"dwell_time": 6}], [0.1], {}, seed=1)[0]
    before = snapshot(lab)
    assert lab.client.get(f"{C}/samples", headers=auth("rita")).status_code == 200
    for method, url, body in [
        ("POST", f"{C}/samples", {"label": "X1", "params": P}),
        (
            "POST",
            "/api/campaigns",
            {"name": "new", "parameters": [{"name": "x", "low": 0, "high": 1}]},
        ),
        ("POST", f"{C}/suggestions", {"n": 1}),
        ("PATCH", f"/api/suggestions/{sug.id}", {"status": "discarded"}),
        ("POST", "/api/simulations", {"case": "title = 'x'"}),
    ]:
        r = lab.client.request(method, url, json=body, headers=auth("rita"))
        assert r.status_code == 403, (method, url)
        assert r.json() == {
            "detail": "user 'rita' is a reader and cannot write",
            "error": "HTTPException",
        }
    r = lab.client.post(
        f"{C}/samples/B1/measurements",
        headers=auth("rita"),
        data={"a": "1 mm", "b": "2 mm", "c": "1 mm"},
        files={"file": ("x.dat", b"1,2\n")},
    )
    assert r.status_code == 403
    assert snapshot(lab) == before


def test_campaigns_create_list_get(lab):
    body = {
        "name": "Pressure scan",
        "parameters": [{"name": "pressure", "unit": "MPa", "low": 10, "high": 80, "step": 5}],
        "objectives": [{"name": "jc_1T", "quantity": "jc", "field": "1 T", "temperature": "5 K"}],
    }
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 201
    assert r.json()["objectives"][0] == {
        "name": "jc_1T",
        "quantity": "jc",
        "goal": "maximize",
        "field_T": 1.0,
        "temperature_K": 5.0,
        "unit": "A/m^2",  # the unit Jc values and ranges are in over the API (was "")
        "range": None,
        "log": False,  # modelled as is (true: as ln)
    }
    names = [c["name"] for c in lab.client.get("/api/campaigns", headers=auth("rita")).json()]
    assert names == [NAME, "Pressure scan"]
    got = lab.client.get("/api/campaigns/Pressure%20scan", headers=auth("rita")).json()
    assert got["objectives"][0]["unit"] == "A/m^2"
    assert got["parameters"] == [
        {
            "name": "pressure",
            "unit": "MPa",
            "low": 10,
            "high": 80,
            "step": 5,
            "choices": None,
            "fixed": None,
            "log": False,
        }  # fmt: skip
    ]


def test_every_objective_is_listed_with_the_unit_its_values_are_in(lab):
    """The Jc and Tc objectives were listed with unit "" on every campaign endpoint, though their
    values and ranges are in A/m^2 and K over the API."""
    body = {
        "name": "Units",
        "parameters": [{"name": "pressure", "unit": "MPa", "low": 10, "high": 80}],
        "objectives": [
            {"name": "jc_1T", "quantity": "jc", "field": "1 T", "temperature": "5 K",
             "range": ["1e3 A/cm^2", "1e6 A/cm^2"]},
            {"name": "tc", "quantity": "tc", "goal": "maximize"},
            {"name": "density", "unit": "g/cm^3"},
            {"name": "y"},
        ],
        "constraints": [{"expression": "tc >= 30 K"}],
    }  # fmt: skip
    want = {"jc_1T": "A/m^2", "tc": "K", "density": "g/cm^3", "y": ""}
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 201, r.text
    assert {o["name"]: o["unit"] for o in r.json()["objectives"]} == want
    assert r.json()["objectives"][0]["range"] == [1e7, 1e10]  # in that unit
    got = lab.client.get("/api/campaigns/Units", headers=auth("rita")).json()
    assert {o["name"]: o["unit"] for o in got["objectives"]} == want
    listed = lab.client.get("/api/campaigns", headers=auth("rita")).json()
    units = {o["name"]: o["unit"] for c in listed for o in c["objectives"]}
    assert units["jc_3T"] == "A/m^2" and units["jc_1T"] == "A/m^2"  # the example's too


def test_a_campaign_suggest_will_refuse_is_told_so_at_creation_as_the_cli_does(lab):
    """Over MAX_HV_OBJECTIVES objectives to optimise, `campaign create` notes that suggest will
    refuse; the API's creation said nothing (the first ask was the first word of it)."""
    jc = [{"name": f"jc_{b}T", "quantity": "jc", "field": f"{b} T", "temperature": "5 K"}
          for b in (1, 3, 5)]  # fmt: skip
    body = {
        "name": "Four goals",
        "parameters": [{"name": "pressure", "unit": "MPa", "low": 10, "high": 80}],
        "objectives": [*jc, {"name": "tc", "quantity": "tc", "goal": "maximize"}],
    }
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 201, r.text
    note = r.json()["note"]
    assert note.startswith("4 objectives to optimise (jc_1T, jc_3T, jc_5T, tc): fluxtrap ")
    assert "suggest takes at most 3" in note
    got = lab.client.get("/api/campaigns/Four%20goals", headers=auth("rita")).json()
    assert got["note"] == note
    body["objectives"][3]["goal"] = "constraint"  # measured, not optimised: suggest takes it
    body["constraints"] = [{"expression": "tc >= 30 K"}]
    r = lab.client.post("/api/campaigns", json={**body, "name": "Three"}, headers=auth("alice"))
    assert r.status_code == 201 and r.json()["note"] is None, r.text


def test_a_high_off_the_step_grid_is_noted_by_the_api_and_the_pages_as_the_cli_does(lab):
    """T from 800 to 903 K by 5: no sample or suggestion reaches 903 (800 + k * 5). `campaign
    create` notes the highest settable value, 900 K; the API's creation, its GET and the
    campaign's pages said nothing. Now each says the CLI's words; 0.1 to 0.7 by 0.1 is on its
    grid (its float sum lands a hair off) and is not noted; the answer posts back as it came."""
    from .conftest import login

    body = {
        "name": "grid",
        "parameters": [
            {"name": "T", "unit": "K", "low": 800, "high": 903, "step": 5},
            {"name": "x", "low": 0.1, "high": 0.7, "step": 0.1},
        ],
        "objectives": [{"name": "tc", "quantity": "tc", "goal": "maximize"}],
    }
    said = "T: high 903 K is off the step grid 800 + k * 5; the highest settable value is 900 K"
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 201, r.text
    assert (r.json()["note"], r.json()["notes"]) == (None, [said])
    got = lab.client.get("/api/campaigns/grid", headers=auth("rita")).json()
    assert got["notes"] == [said]
    again = lab.client.post("/api/campaigns", json=got | {"name": "grid2"}, headers=auth("bob"))
    assert again.status_code == 201 and again.json()["notes"] == [said], again.text
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    for page in ("/campaigns/grid", "/campaigns/grid/model"):
        html = lab.client.get(page).text
        assert f'<p class="warn campaign-note" id="campaign-note">note: {said}</p>' in html, page
    listed = lab.client.get("/api/campaigns", headers=auth("rita")).json()
    assert [c["notes"] for c in listed if c["name"] == NAME] == [[]]


def test_a_campaign_file_posted_as_text_is_created_as_the_cli_creates_it(lab):
    """The dashboard's create form sends the campaign file's text: created with the caller
    recorded and the CLI's notes; a reader, an unknown key (named), a name taken, a file over
    100 000 characters, bad TOML (its line named) are refused and nothing is created."""
    from ...conftest import EXAMPLES

    text = (EXAMPLES / "campaign.toml").read_text().replace('"K-Ba122 SPS"', '"From file"')
    url = "/api/campaign-files"
    refused = [
        ({"toml": text}, "rita", 403, "cannot write"),
        ({"toml": text.replace("step = 1\n", "stpe = 1\n", 1)}, "alice", 422, "stpe"),
        ({"toml": "x = [" * 10 + "\n"}, "alice", 422, "not valid TOML"),
        ({"toml": "# " + "x" * 100_000}, "alice", 422, "100000 characters"),
        ({"toml": text.replace('"From file"', f'"{NAME}"')}, "alice", 409, "already exists"),
    ]
    for body, user, code, says in refused:
        r = lab.client.post(url, json=body, headers=auth(user))
        assert r.status_code == code and says in r.text, r.text
    assert [c.name for c in lab.store.campaigns()] == [NAME]
    r = lab.client.post(url, json={"toml": text}, headers=auth("alice"))
    assert r.status_code == 201, r.text
    made = lab.store.campaign_record("From file")
    assert made.created_by == "alice" and r.json()["notes"] == made.spec.notes == []
    assert made.spec.to_dict() | {"name": NAME} == lab.store.campaign(NAME).to_dict()


def test_a_campaign_got_from_the_api_is_posted_back_as_it_came(lab):
    """A GET's campaign JSON, renamed, was a 422 as a POST's body (field_T, temperature_K,
    created_by and note "Extra inputs"; a jc objective's unit "A/m^2"): now it makes the same
    campaign, every key and unit kept; the read-only created_by and note are the server's."""
    body = {
        "name": "Full",
        "parameters": [
            {"name": "t", "unit": "degC", "low": 450, "high": 750, "step": 1},
            {"name": "gas", "choices": ["Ar", "vacuum"]},
            {"name": "p", "unit": "MPa", "fixed": 50},
            {"name": "dose", "unit": "mg", "low": 0.01, "high": 100, "log": True},
        ],
        "objectives": [
            {"name": "jc_1T", "quantity": "jc", "field": "1 T", "temperature": "20 K",
             "range": ["1e3 A/cm^2", "1e6 A/cm^2"], "log": True},
            {"name": "tc", "quantity": "tc", "goal": "constraint", "range": ["4 K", "150 K"]},
            {"name": "density", "unit": "g/cm^3", "goal": "minimize"},
        ],
        "constraints": [{"expression": "t <= 700"}, {"expression": "tc >= 30 K"}],
    }  # fmt: skip
    assert lab.client.post("/api/campaigns", json=body, headers=auth("alice")).status_code == 201
    got = lab.client.get("/api/campaigns/Full", headers=auth("rita")).json()
    assert got["objectives"][0]["field_T"] == 1.0 and got["created_by"] == "alice"
    assert [p["log"] for p in got["parameters"]] == [False, False, False, True]  # it was lost
    assert [o["log"] for o in got["objectives"]] == [True, False, False]  # modelled as ln jc_1T
    r = lab.client.post("/api/campaigns", json=got | {"name": "Copy"}, headers=auth("bob"))
    assert r.status_code == 201, r.text
    copy = lab.client.get("/api/campaigns/Copy", headers=auth("rita")).json()
    assert copy == got | {"name": "Copy", "created_by": "bob"}
    # a unit a jc objective is not stored in stays refused, and so does a field given twice
    jc = got["objectives"][0]
    for objective, says in (
        (jc | {"unit": "A/cm^2"}, "unit is only for quantity 'value'"),
        (jc | {"field": "1 T"}, "give field or field_T, not both"),
    ):
        odd = got | {"name": "Odd", "objectives": [objective]}
        r = lab.client.post("/api/campaigns", json=odd, headers=auth("bob"))
        assert r.status_code == 422 and says in r.json()["detail"], r.text


@pytest.mark.parametrize(
    "body, says",
    [
        (
            {"name": "c", "parameters": [{"name": "x", "low": 1, "high": 0}]},
            "need low < high",
        ),
        (
            {
                "name": "c",
                "parameters": [{"name": "x", "low": 0, "high": 1}],
                "objectives": [{"name": "j", "quantity": "jc"}],
            },
            "needs a field",
        ),
        (
            {
                "name": "c",
                "parameters": [{"name": "x", "low": 0, "high": 1}],
                "objectives": [{"name": "j", "quantity": "jc", "field": "3 mm"}],
            },
            "objectives[0].field",
        ),
        ({"name": "c", "parameters": []}, "at least 1 item"),
        (
            {"name": "c", "parameters": [{"name": "x", "low": 0, "high": 1, "stepp": 1}]},
            "Extra inputs",
        ),
    ],
)
def test_bad_campaign_is_422_saying_what(lab, body, says):
    before = snapshot(lab)
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 422
    assert says in str(r.json()["detail"])
    assert snapshot(lab) == before


def test_a_taken_campaign_name_is_409_conflict(lab):
    """A name already taken is a conflict with the store's state (409), as a taken label is."""
    before = snapshot(lab)
    body = {"name": NAME, "parameters": [{"name": "x", "low": 0, "high": 1}]}
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert (r.status_code, r.json()["error"]) == (409, "ConflictError")
    assert f"campaign {NAME!r} already exists" in r.json()["detail"]
    assert snapshot(lab) == before


def test_unknown_campaign_is_404_naming_the_known_ones(lab):
    for url in [
        "/api/campaigns/nope",
        "/api/campaigns/nope/samples",
        "/api/campaigns/nope/best",
        "/api/campaigns/nope/suggestions",
        "/api/campaigns/nope/jc",
    ]:
        r = lab.client.get(url, headers=auth("rita"))
        assert r.status_code == 404, url
        assert r.json() == {
            "detail": f"no campaign named 'nope' (known: '{NAME}')",
            "error": "NotFoundError",
        }


def test_samples_record_who_wrote_them(any_lab):
    lab = any_lab
    r = lab.client.post(
        f"{C}/samples",
        headers=auth("alice"),
        json={"label": "B1", "params": P, "objectives": {"jc_3T": 2.9e8}, "notes": "first"},
    )
    assert r.status_code == 201
    assert r.json()["recorded_by"] == "alice"
    assert r.json()["origin"] == "researcher"
    got = lab.client.get(f"{C}/samples/B1", headers=auth("rita")).json()
    assert (got["params"], got["objectives"], got["notes"]) == (P, {"jc_3T": 2.9e8}, "first")
    assert [x["label"] for x in lab.client.get(f"{C}/samples", headers=auth("rita")).json()] == [
        "B1"
    ]
    assert lab.store.sample(NAME, "B1").recorded_by == "alice"


def test_a_sample_made_outside_the_space_is_recorded_when_the_body_says_so(any_lab):
    lab = any_lab
    body = {"label": "B9", "params": P | {"ramp_rate": 500}}
    r = lab.client.post(f"{C}/samples", headers=auth("alice"), json=body)
    assert r.status_code == 422 and "outside_space in the web API" in r.json()["detail"]
    r = lab.client.post(f"{C}/samples", headers=auth("alice"), json=body | {"outside_space": True})
    assert r.status_code == 201 and r.json()["params"]["ramp_rate"] == 500
    assert lab.store.sample(NAME, "B9").params["ramp_rate"] == 500
    r = lab.client.post(f"{C}/samples", headers=auth("alice"), json=body | {"outside_space": "yes"})
    assert r.status_code == 422  # a flag, not text


@pytest.mark.parametrize(
    "body, code, says",
    [
        ({"label": "B1", "params": P}, 409, "already used"),  # Conflict: the label is taken
        (
            {"label": "B2", "params": P | {"ramp_rate": 500}},
            422,
            "ramp_rate=500 degC/min is outside [10, 100]",
        ),
        ({"label": "B2", "params": P | {"ramp_rate": 50.05}}, 422, "off the step grid"),
        (
            {"label": "B2", "params": {"ramp_rate": 50}},
            422,
            "missing parameter(s) max_temperature, dwell_time",
        ),
        ({"label": "B2", "params": P | {"pressure": 1}}, 422, "unknown parameter(s) pressure"),
        ({"label": "B2", "params": P, "objectives": {"jc_5T": 1}}, 422, "no objective 'jc_5T'"),
        ({"label": "B2", "params": P, "suggestion_id": 999}, 404, "no suggestion with id 999"),
        ({"label": "", "params": P}, 422, "at least 1 character"),
        (
            {"label": "B2", "params": P | {"ramp_rate": "fast"}},
            422,
            "ramp_rate='fast' is not a number",
        ),
        ({"label": "B2", "params": P, "origin": "robot"}, 422, "'researcher' or 'optimizer'"),
    ],
)
def test_bad_sample_is_rejected_saying_what_and_changes_nothing(any_lab, body, code, says):
    lab = any_lab
    lab.store.add_sample(NAME, "B1", P)
    before = snapshot(lab)
    r = lab.client.post(f"{C}/samples", json=body, headers=auth("bob"))
    assert r.status_code == code
    assert says in str(r.json()["detail"])
    assert snapshot(lab) == before


def test_campaign_creation_and_status_changes_record_the_user(any_lab):
    lab = any_lab
    body = {"name": "Pressure scan", "parameters": [{"name": "pressure", "low": 10, "high": 80}]}
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert (r.status_code, r.json()["name"], r.json()["created_by"]) == (
        201,
        "Pressure scan",
        "alice",
    )
    got = lab.client.get("/api/campaigns", headers=auth("rita")).json()
    assert [(c["name"], c["created_by"]) for c in got] == [(NAME, None), ("Pressure scan", "alice")]
    got = lab.client.get("/api/campaigns/Pressure%20scan", headers=auth("rita")).json()
    assert got["created_by"] == "alice"
    assert lab.store.campaign_record("Pressure scan").created_by == "alice"

    a, b = lab.store.add_suggestions(NAME, [P, P | {"dwell_time": 7}], [0.3, 0.2], {}, seed=4)
    r = lab.client.get(f"/api/suggestions/{a.id}", headers=auth("rita")).json()
    assert (r["status"], r["status_changed_by"], r["status_changed_at"]) == ("open", None, None)
    r = lab.client.patch(f"/api/suggestions/{a.id}", json={"status": "used"}, headers=auth("rita"))
    assert r.status_code == 403
    assert lab.store.suggestion(a.id).status_changed_by is None
    r = lab.client.patch(
        f"/api/suggestions/{a.id}", json={"status": "discarded"}, headers=auth("bob")
    )
    assert (r.status_code, r.json()["status"], r.json()["status_changed_by"]) == (
        200, "discarded", "bob",
    )  # fmt: skip
    changed = datetime.fromisoformat(r.json()["status_changed_at"])
    assert timedelta(0) <= datetime.now(UTC) - changed < timedelta(minutes=5)
    # a sample made from a suggestion: whoever records it is who used the suggestion
    r = lab.client.post(f"{C}/samples", headers=auth("alice"),
                        json={"label": "O1", "params": b.params, "suggestion_id": b.id})  # fmt: skip
    assert r.status_code == 201
    got = lab.client.get(f"{C}/suggestions", headers=auth("rita")).json()
    assert [(x["id"], x["status"], x["status_changed_by"]) for x in got] == [
        (a.id, "discarded", "bob"),
        (b.id, "used", "alice"),
    ]
    assert all(x["status_changed_at"].endswith(("Z", "+00:00")) for x in got)
    assert lab.store.suggestion(b.id).status_changed_by == "alice"


def test_unknown_sample_is_404(lab):
    for url in [f"{C}/samples/B9", f"{C}/samples/B9/measurements", f"{C}/jc?sample=B9"]:
        r = lab.client.get(url, headers=auth("rita"))
        assert r.status_code == 404, url
        assert "has no sample labelled 'B9'" in r.json()["detail"]


def test_suggestions_list_get_and_mark(lab):
    a, b = lab.store.add_suggestions(
        NAME, [P, P | {"dwell_time": 7}], [0.3, 0.2], {"model": "gp"}, seed=4, created_by="bob"
    )
    got = lab.client.get(f"{C}/suggestions", headers=auth("rita")).json()
    assert [(x["id"], x["status"], x["seed"], x["created_by"]) for x in got] == [
        (a.id, "open", 4, "bob"),
        (b.id, "open", 4, "bob"),
    ]
    r = lab.client.patch(
        f"/api/suggestions/{a.id}", json={"status": "discarded"}, headers=auth("alice")
    )
    assert r.json()["status"] == "discarded"
    assert [
        x["id"] for x in lab.client.get(f"{C}/suggestions?status=open", headers=auth("rita")).json()
    ] == [b.id]
    assert lab.client.get(f"/api/suggestions/{b.id}", headers=auth("rita")).json()[
        "params"
    ] == P | {"dwell_time": 7}
    # a sample made from a suggestion is the optimizer's and uses it up
    r = lab.client.post(
        f"{C}/samples",
        headers=auth("bob"),
        json={"label": "O1", "params": b.params, "suggestion_id": b.id},
    )
    assert (r.status_code, r.json()["origin"]) == (201, "optimizer")
    assert lab.store.suggestion(b.id).status == "used"
    r = lab.client.post(
        f"{C}/samples",
        headers=auth("bob"),
        json={"label": "O2", "params": b.params, "suggestion_id": b.id},
    )
    assert r.status_code == 422 and f"suggestion {b.id} is used, not open" in r.json()["detail"]
    # the sample cracked: marking its suggestion failed (with a note) fails the sample too
    r = lab.client.patch(
        f"/api/suggestions/{b.id}",
        json={"status": "failed", "note": "cracked"},
        headers=auth("bob"),
    )
    assert (r.status_code, r.json()["status"], r.json()["status_note"]) == (
        200,
        "failed",
        "cracked",
    )
    r = lab.client.get(f"{C}/samples/O1", headers=auth("rita")).json()
    assert (r["status"], r["status_note"]) == ("failed", "cracked")
    r = lab.client.patch(f"{C}/samples/O1", json={"status": "made"}, headers=auth("rita"))
    assert r.status_code == 403
    r = lab.client.patch(f"{C}/samples/O1", json={"status": "made"}, headers=auth("alice"))
    assert r.json()["status"] == "made" and lab.store.suggestion(b.id).status == "used"
    r = lab.client.patch(f"/api/suggestions/{a.id}", json={"status": "abandoned", "note": "x" * 501},
                         headers=auth("alice"))  # fmt: skip
    assert r.status_code == 422


def test_suggestion_errors(lab):
    assert lab.client.get("/api/suggestions/77", headers=auth("rita")).status_code == 404
    r = lab.client.patch("/api/suggestions/77", json={"status": "used"}, headers=auth("alice"))
    assert r.status_code == 404 and r.json()["detail"].startswith("no suggestion with id 77 (")
    r = lab.client.patch("/api/suggestions/77", json={"status": "done"}, headers=auth("alice"))
    assert r.status_code == 422 and "'discarded', 'abandoned' or 'failed'" in str(
        r.json()["detail"]
    )
    r = lab.client.get(f"{C}/suggestions?status=done", headers=auth("rita"))
    assert r.status_code == 422
    for n in (0, 11):
        r = lab.client.post(f"{C}/suggestions", json={"n": n}, headers=auth("alice"))
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "n"]


def test_best_so_far_per_loop(lab):
    s = lab.store
    s.add_sample(NAME, "R1", P, objectives={"jc_3T": 2.0e8})
    s.add_sample(NAME, "O1", P | {"dwell_time": 6}, origin="optimizer", objectives={"jc_3T": 3.0e8})
    s.add_sample(NAME, "R2", P | {"dwell_time": 7}, objectives={"jc_3T": 2.5e8})
    s.add_sample(NAME, "R3", P | {"dwell_time": 8})  # not measured yet
    got = lab.client.get(f"{C}/best", headers=auth("rita")).json()
    assert got == {
        "jc_3T": {
            "all": [2.0e8, 3.0e8, 3.0e8, 3.0e8],
            "researcher": [2.0e8, 2.0e8, 2.5e8, 2.5e8],
            "optimizer": [None, 3.0e8, 3.0e8, 3.0e8],
            "constraints": {"met": 3, "not met": 0, "unknown": 0},  # none: every sample met
            "awaiting": {},
        }
    }


def test_best_so_far_is_the_best_known_to_meet_the_outcome_constraints(lab):
    """tc >= 36 K: a sample with Tc 30 K showed as the campaign's best Jc, and one whose Tc is
    not measured yet too; now the best is Optimizer.best()'s (constraint_status "met") and the
    left-out are counted, as best().attrs counts them."""
    from fluxtrap.campaign import CampaignSpec

    from ...conftest import EXAMPLES

    s = lab.store
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign_constrained.toml")
    s.create_campaign(spec)
    name, url = spec.name, "/api/campaigns/K-Ba122%20SPS,%20constrained/best"
    q, o = P | {"atmosphere": "Ar"}, "optimizer"
    s.add_sample(name, "R1", q, objectives={"jc_3T": 2.0e8, "tc": 37.0})
    s.add_sample(name, "O1", q | {"dwell_time": 6}, origin=o, objectives={"jc_3T": 9e8, "tc": 30.0})
    s.add_sample(name, "R2", q | {"dwell_time": 7}, objectives={"jc_3T": 2.5e8, "tc": 38.0})
    s.add_sample(name, "O2", q | {"dwell_time": 8}, origin=o, objectives={"jc_3T": 8e8})  # no Tc
    got = lab.client.get(url, headers=auth("rita")).json()["jc_3T"]
    assert got["all"] == [2.0e8, 2.0e8, 2.5e8, 2.5e8]  # O1 breaks tc >= 36 K, O2 awaits its Tc
    assert got["researcher"] == [2.0e8, 2.0e8, 2.5e8, 2.5e8]
    assert got["optimizer"] == [None, None, None, None]
    assert got["constraints"] == {"met": 2, "not met": 1, "unknown": 1}
    assert got["awaiting"] == {"tc": 1}
    assert got["all"][-1] == max(r.objectives["jc_3T"] for r in s.samples(name)[:3:2])


def test_unknown_measurement_and_simulation_are_404(lab):
    r = lab.client.get("/api/measurements/5/curves", headers=auth("rita"))
    assert (r.status_code, r.json()["detail"]) == (404, "no measurement with id 5")
    assert lab.client.get("/api/simulations", headers=auth("rita")).json() == []
    for url in ["/api/simulations/3", "/api/simulations/3/probes", "/api/simulations/3/plots"]:
        r = lab.client.get(url, headers=auth("rita"))
        assert (r.status_code, r.json()["detail"]) == (404, "no simulation with id 3")
    r = lab.client.get("/api/jobs/3", headers=auth("rita"))
    assert (r.status_code, r.json()["detail"]) == (404, "no job with id 3")


def test_openapi_schema_lists_every_route(lab):
    paths = lab.client.get("/openapi.json").json()["paths"]
    assert {
        "/api/campaigns",
        "/api/campaigns/{campaign}/samples/{label}/measurements",
        "/api/campaigns/{campaign}/suggestions",
        "/api/simulations/{simulation_id}/probes",
        "/api/jobs",
        "/api/jobs/{job_id}",
    } <= set(paths)
    spec = lab.client.get("/openapi.json").json()
    submit = spec["paths"]["/api/simulations"]["post"]["responses"]["202"]
    assert submit["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Job"}
    assert "Location" in submit["headers"]
    job = spec["components"]["schemas"]["Job"]
    assert {"id", "status", "error", "simulation_id"} <= set(job["properties"])
    assert job["properties"]["status"]["enum"] == [
        "queued", "running", "done", "failed", "cancelled", "interrupted",
    ]  # fmt: skip
    assert set(spec["paths"]["/api/jobs/{job_id}"]) == {"get", "delete"}
    assert {"403", "409"} <= set(spec["paths"]["/api/jobs/{job_id}"]["delete"]["responses"])
    assert "409" in spec["paths"]["/api/campaigns"]["post"]["responses"]
    assert "409" in spec["paths"]["/api/campaigns/{campaign}/samples"]["post"]["responses"]
    assert "429" in spec["paths"]["/api/simulations"]["post"]["responses"]


def test_constrained_campaign_round_trips_through_the_api(lab):
    body = {
        "name": "Constrained",
        "parameters": [
            {"name": "t", "unit": "degC", "low": 450, "high": 750, "step": 1},
            {"name": "d", "unit": "min", "low": 0, "high": 60, "step": 0.01},
            {"name": "gas", "choices": ["Ar", "vacuum"]},
            {"name": "p", "unit": "MPa", "fixed": 50},
        ],
        "objectives": [{"name": "y"}, {"name": "tc", "quantity": "tc", "goal": "constraint"}],
        "constraints": [{"expression": "t + 4 * d <= 700"}, {"expression": "tc >= 36 K"}],
    }
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 201, r.json()
    got = r.json()
    assert [c["expression"] for c in got["constraints"]] == ["t + 4 * d <= 700", "tc >= 36 K"]
    assert (
        got["parameters"][2]["choices"] == ["Ar", "vacuum"] and got["parameters"][3]["fixed"] == 50
    )
    r = lab.client.post(
        "/api/campaigns/Constrained/samples",
        json={"label": "S1", "params": {"t": 650, "d": 20, "gas": "Ar"}},
        headers=auth("alice"),
    )
    assert r.status_code == 422 and "violates the campaign constraint" in r.json()["detail"]
    r = lab.client.post(
        "/api/campaigns/Constrained/samples",
        json={"label": "S1", "params": {"t": 600, "d": 20, "gas": "Ar"},
              "objectives": {"y": 1.5, "tc": "37 K"}},
        headers=auth("alice"),
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["params"]["p"] == 50 and r.json()["status"] == "made"
    bad = body | {"name": "Bad", "constraints": [{"expression": "t * d <= 7"}]}
    r = lab.client.post("/api/campaigns", json=bad, headers=auth("alice"))
    assert r.status_code == 422 and "non-linear" in r.json()["detail"]


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"t": 600, "gas": "argon"}, 422, "gas='argon' is not one of ['Ar', 'vacuum']"),
        ({"t": 600, "gas": "Ar", "p": 60}, 422, "p=60.0: this campaign holds p fixed at 50.0 MPa"),
        ({"t": "nan", "gas": "Ar"}, 422, "t='nan' is not a number"),  # text: plain decimal
        ({"t": "6_00", "gas": "Ar"}, 422, "t='6_00' is not a number"),  # float() read 600
        ({"t": "Ar", "gas": "Ar"}, 422, "t='Ar' is not a number"),
        (
            {"t": 600, "gas": "Ar", "gass": "Ar"},
            422,
            "unknown parameter(s) gass (did you mean 'gas'?)",
        ),
        ({"t": 600.5, "gas": "Ar"}, 422, "t=600.5 degC is off the step grid"),
        ({"t": 600, "gas": 1}, 422, "gas=1.0 is not one of"),
    ],
)
def test_hostile_parameter_values_are_refused_naming_the_key(lab, params, status, says):
    body = {
        "name": "Gas",
        "parameters": [
            {"name": "t", "unit": "degC", "low": 450, "high": 750, "step": 1},
            {"name": "gas", "choices": ["Ar", "vacuum"]},
            {"name": "p", "unit": "MPa", "fixed": 50},
        ],
        "objectives": [{"name": "y"}],
    }
    assert lab.client.post("/api/campaigns", json=body, headers=auth("alice")).status_code == 201
    r = lab.client.post(
        "/api/campaigns/Gas/samples", json={"label": "S1", "params": params}, headers=auth("alice")
    )
    assert (r.status_code, r.json()["error"]) == (status, "ValidationError")
    assert says in r.json()["detail"]
    assert lab.store.samples("Gas") == []


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_json_numbers_as_parameters_are_refused_naming_the_key(lab, value):
    """JSON that Python reads as NaN or infinity (not standard JSON) never reaches the store."""
    body = f'{{"label": "S1", "params": {{"ramp_rate": {value}, "max_temperature": 600, "dwell_time": 5}}}}'
    r = lab.client.post(
        f"/api/campaigns/{NAME}/samples",
        content=body,
        headers={**auth("alice"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert {tuple(d["loc"][:3]) for d in r.json()["detail"]} == {("body", "params", "ramp_rate")}
    assert lab.store.samples(NAME) == []


def test_a_database_that_fails_is_a_503_naming_no_path_and_the_job_threads_live_on(
    lab, tmp_path, caplog
):
    """The database file replaced by junk (a bad restore, a failing disk): every request was a
    bare 500 and the job workers and heartbeat died; now a 503 that does not show the store's
    path (the server's log does), and the threads wait for the database to come back."""
    session = login(lab.store, "alice")
    for f in tmp_path.glob("lab.db*"):
        f.unlink()
    (tmp_path / "lab.db").write_bytes(b"not sqlite " * 1000)
    lab.store.engine.dispose()
    api = [
        lab.client.get("/api/me", headers=auth("alice")),
        lab.client.post("/api/campaigns", json={"name": "x"}, headers=auth("alice")),
    ]
    page = lab.client.get("/", cookies={COOKIE: session})
    for r in (*api, page):
        assert r.status_code == 503 and "the database did not answer" in r.text, r.text
        assert str(tmp_path) not in r.text and "sqlite" not in r.text
    assert str(tmp_path) in caplog.text and "file is not a database" in caplog.text
    threads = lab.client.app.state.jobs._workers
    time.sleep(2.5)  # each worker asks for a job every second
    assert threads and all(t.is_alive() for t in threads)


def test_objectives_measured_by_hand_are_set_over_the_api_and_kept_unless_replaced(lab):
    url = f"{C}/samples/H1/objectives"
    params = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
    lab.client.post(f"{C}/samples", json={"label": "H1", "params": params}, headers=auth("alice"))
    body = {"objectives": {"jc_3T": "2.1e4 A/cm^2"}}
    assert lab.client.put(url, json=body, headers=auth("rita")).status_code == 403
    r = lab.client.put(url, json=body, headers=auth("alice"))
    assert (r.status_code, r.json()["objectives"]) == (200, {"jc_3T": pytest.approx(2.1e8)})
    r = lab.client.put(url, json={"objectives": {"jc_3T": 3e8}}, headers=auth("alice"))
    assert r.status_code == 422 and "already has jc_3T = 21000 A/cm²" in r.json()["detail"]
    r = lab.client.put(
        url, json={"objectives": {"jc_3T": 3e8}, "replace": True}, headers=auth("bob")
    )
    assert (r.status_code, lab.store.sample(NAME, "H1").objectives) == (200, {"jc_3T": 3e8})
    assert r.json()["objective_set_by"] == {"jc_3T": "bob"}  # who set it last, by their token
    body = {"objectives": {"jc_3T": "3.1e4 ± 200 A/cm^2"}, "replace": True}  # with its 1-sigma
    r = lab.client.put(url, json=body, headers=auth("bob"))
    assert r.json()["objective_errors"] == {"jc_3T": pytest.approx(2e6)}
    r = lab.client.put(
        url, json={"objectives": {"jc_3T": 3e8}, "replace": True}, headers=auth("bob")
    )
    assert (r.status_code, r.json()["objective_errors"]) == (200, {})
    for bad in ({"objectives": {}}, {"objectives": {"jc_3T": 1}, "replce": True}):
        assert lab.client.put(url, json=bad, headers=auth("alice")).status_code == 422
    assert lab.store.sample(NAME, "H1").objectives == {"jc_3T": 3e8}


def test_an_error_no_measurement_can_have_is_refused_by_api_and_store_alike(lab):
    """A Jc's 1-sigma 1.5e5 x its value was stored from the API (and the store the CLI writes
    with): refused over 10 x the value and 100 A/cm^2, nothing written; 10 x is taken."""
    from fluxtrap.errors import ValidationError

    params = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
    says = "objective jc_3T = 20000 A/cm² ± 3e+09 A/cm²: a 1-sigma 1.5e+05 times its value"
    body = {"label": "E1", "params": params, "objectives": {"jc_3T": "2e8 ± 3e13 A/m^2"}}
    r = lab.client.post(f"{C}/samples", json=body, headers=auth("alice"))
    assert r.status_code == 422 and says in r.json()["detail"], r.text
    with pytest.raises(ValidationError, match=re.escape(says)):
        lab.store.add_sample(NAME, "E1", params, objectives={"jc_3T": "2e4 ± 3e9 A/cm^2"})
    assert lab.store.samples(NAME) == []
    lab.client.post(f"{C}/samples", json={"label": "E1", "params": params}, headers=auth("alice"))
    r = lab.client.put(
        f"{C}/samples/E1/objectives",
        json={"objectives": {"jc_3T": "2e4 ± 3e9 A/cm^2"}},
        headers=auth("alice"),
    )
    assert r.status_code == 422 and says in r.json()["detail"], r.text
    assert lab.store.sample(NAME, "E1").objectives == {}
    r = lab.client.put(
        f"{C}/samples/E1/objectives",
        json={"objectives": {"jc_3T": "2e4 ± 2e5 A/cm^2"}},
        headers=auth("alice"),
    )
    assert r.status_code == 200 and r.json()["objective_errors"] == {"jc_3T": pytest.approx(2e9)}


@pytest.mark.parametrize(
    ("objective", "value", "says"),
    [
        ("jc_3T", 1e30, "1e+26 A/cm², above the 1e+10 A/cm² no superconductor reaches"),
        ("jc_3T", "3e11 A/cm^2", "above the 1e+10 A/cm² no superconductor reaches"),
        ("tc", "1e30 K", "1e+30 K, above the 300 K no superconductor reaches"),
        ("tc", "500 degC", "773.1 K, above the 300 K"),
    ],
)
def test_an_objective_without_a_range_refuses_what_no_superconductor_reaches(
    lab, objective, value, says
):
    """A Jc above any superconductor's depairing current density (YBCO's ~3e8 A/cm^2; 1e10 taken
    as the bound) or a Tc above the highest known (~250 K) is a typed unit or exponent: a 422 on
    add and on update, nothing stored (1e30 A/m^2 was stored and ranked the best sample)."""
    spec = CampaignSpec.from_dict(
        {
            "name": "no ranges",
            "parameters": [{"name": "t", "unit": "degC", "low": 400, "high": 700}],
            "objectives": [
                {"name": "jc_3T", "quantity": "jc", "field": "3 T", "goal": "maximize"},
                {"name": "tc", "quantity": "tc", "goal": "maximize"},
            ],
        }
    )
    lab.store.create_campaign(spec)
    c = "/api/campaigns/no%20ranges"
    lab.store.add_sample("no ranges", "H1", {"t": 500})
    before = lab.store.samples("no ranges")
    for r in (
        lab.client.post(
            f"{c}/samples",
            json={"label": "H2", "params": {"t": 500}, "objectives": {objective: value}},
            headers=auth("alice"),
        ),
        lab.client.put(
            f"{c}/samples/H1/objectives",
            json={"objectives": {objective: value}},
            headers=auth("alice"),
        ),
    ):
        assert r.status_code == 422, r.text
        assert says in r.json()["detail"] and "mistyped" in r.json()["detail"], r.text
    assert lab.store.samples("no ranges") == before
    # the highest Jc and Tc of real bulks are taken: Bulk2's 1.2e5 A/cm^2, Hg-1223's 134 K
    body = {"objectives": {"jc_3T": "1.2e5 A/cm^2", "tc": "134 K"}}
    r = lab.client.put(f"{c}/samples/H1/objectives", json=body, headers=auth("alice"))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("jc", [5e-324, 2.1, 21000, "21000", "21000 ± 300"])
def test_a_bare_jc_below_any_bulk_s_is_refused_as_import_refuses_it(lab, jc):
    """A bare number is A/m^2: 21000 typed from an A/cm^2 table is 2.1 A/cm^2, a 422 on add and
    on update (``fluxtrap import`` refuses such a column); with its unit it is taken."""
    lab.store.add_sample(NAME, "H1", P)
    before = snapshot(lab)
    for r in (
        lab.client.post(
            f"{C}/samples",
            json={"label": "H2", "params": P, "objectives": {"jc_3T": jc}},
            headers=auth("alice"),
        ),
        lab.client.put(
            f"{C}/samples/H1/objectives", json={"objectives": {"jc_3T": jc}}, headers=auth("alice")
        ),
    ):
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert "jc_3T" in detail and "read in A/m^2" in detail
    assert snapshot(lab) == before
    suggested = re.search(r'"([^"]* A/cm\^2)"', detail).group(1)  # the same number, in A/cm^2
    body = {"objectives": {"jc_3T": suggested}}
    r = lab.client.put(f"{C}/samples/H1/objectives", json=body, headers=auth("alice"))
    assert r.json()["objectives"] == {"jc_3T": pytest.approx(float(str(jc).split(" ±")[0]) * 1e4)}
    body = {"objectives": {"jc_3T": "2.1 A/m^2"}, "replace": True}  # tiny, but said so: taken
    r = lab.client.put(f"{C}/samples/H1/objectives", json=body, headers=auth("alice"))
    assert (r.status_code, r.json()["objectives"]) == (200, {"jc_3T": 2.1})
    body = {"label": "H3", "params": P, "objectives": {"jc_3T": 0}}  # none: not implausible
    assert lab.client.post(f"{C}/samples", json=body, headers=auth("alice")).status_code == 201


def test_a_sample_from_a_suggestion_keeps_the_origin_given_and_says_where_it_departs(lab):
    """The origin sent is kept (none: optimizer, as the suggestion chose the point); the answer
    names each parameter made other than suggested, with its unit and the difference."""
    a, b = lab.store.add_suggestions(NAME, [P, P | {"dwell_time": 7}], [0.3, 0.2], {}, seed=4)
    r = lab.client.post(f"{C}/samples", headers=auth("bob"), json={
        "label": "O1", "params": P, "suggestion_id": a.id, "origin": "researcher"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert (r.json()["origin"], r.json()["departures"]) == ("researcher", [])
    made = P | {"max_temperature": 605, "dwell_time": 7.25}
    r = lab.client.post(f"{C}/samples", headers=auth("bob"), json={
        "label": "O2", "params": made, "suggestion_id": b.id})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["origin"] == "optimizer"
    assert r.json()["departures"] == [
        "max_temperature 605 degC, suggested 600 degC (+5 degC)",
        "dwell_time 7.25 min, suggested 7 min (+0.25 min)",
    ]
    assert lab.store.sample(NAME, "O2").params == made  # recorded as made


def test_a_sample_made_as_suggested_needs_no_parameter_sent_again(lab):
    """As `sample add --from-suggestion`: a parameter not sent is the suggestion's value, one sent
    is taken as made (a departure); it had been a 422 'missing parameter(s) ramp_rate,
    max_temperature, dwell_time' unless each was sent again, digit for digit."""
    suggested = P | {"dwell_time": 7.25}
    a, b = lab.store.add_suggestions(NAME, [suggested, P], [0.3, 0.2], {}, seed=4)
    r = lab.client.post(f"{C}/samples", headers=auth("bob"),
                        json={"label": "O1", "suggestion_id": a.id})  # fmt: skip
    assert r.status_code == 201, r.text
    assert (r.json()["params"], r.json()["origin"], r.json()["departures"]) == (
        suggested, "optimizer", [])  # fmt: skip
    assert lab.store.sample(NAME, "O1").params == suggested
    assert lab.store.suggestion(a.id).status == "used"
    r = lab.client.post(f"{C}/samples", headers=auth("bob"), json={
        "label": "O2", "params": {"max_temperature": 605}, "suggestion_id": b.id})  # fmt: skip
    assert r.status_code == 201, r.text
    assert lab.store.sample(NAME, "O2").params == P | {"max_temperature": 605}
    assert r.json()["departures"] == ["max_temperature 605 degC, suggested 600 degC (+5 degC)"]
    # without a suggestion nothing is filled in: the store names what is missing
    before = snapshot(lab)
    other = {"name": "other", "parameters": [{"name": "x", "low": 0, "high": 1}]}
    assert lab.client.post("/api/campaigns", json=other, headers=auth("bob")).status_code == 201
    r = lab.client.post("/api/campaigns/other/samples", headers=auth("bob"),
                        json={"label": "X1", "suggestion_id": a.id})  # fmt: skip
    assert r.status_code == 422
    assert f"suggestion_id {a.id} is a suggestion of another campaign" in r.json()["detail"]
    before = snapshot(lab)
    r = lab.client.post(f"{C}/samples", headers=auth("bob"), json={"label": "O3"})
    assert r.status_code == 422
    assert "missing parameter(s) ramp_rate, max_temperature, dwell_time" in r.json()["detail"]
    assert snapshot(lab) == before


def test_a_suggestion_no_sample_was_made_from_cannot_be_marked_used(lab):
    (a,) = lab.store.add_suggestions(NAME, [P], [0.3], {}, seed=4)
    before = snapshot(lab)
    r = lab.client.patch(f"/api/suggestions/{a.id}", json={"status": "used"}, headers=auth("bob"))
    assert r.status_code == 422 and "no sample was made from it" in r.json()["detail"]
    assert snapshot(lab) == before


def test_an_objective_s_range_is_kept_and_refuses_a_value_outside(lab):
    body = {
        "name": "Tc scan",
        "parameters": [{"name": "pressure", "unit": "MPa", "low": 10, "high": 80, "step": 5}],
        "objectives": [{"name": "tc", "quantity": "tc", "range": ["4 K", 150]}],
    }
    r = lab.client.post("/api/campaigns", json=body, headers=auth("alice"))
    assert r.status_code == 201 and r.json()["objectives"][0]["range"] == [4.0, 150.0], r.text
    r = lab.client.post("/api/campaigns/Tc%20scan/samples", headers=auth("bob"), json={
        "label": "T1", "params": {"pressure": 50}, "objectives": {"tc": "35 degC"}})  # fmt: skip
    assert r.status_code == 422 and "308.15 K, outside the range 4 to 150 K" in r.json()["detail"]
    assert lab.store.samples("Tc scan") == []


def test_samples_are_listed_a_page_at_a_time(lab):
    """6000 samples with long notes were one 62 MB answer: the list is paged, in recording order."""
    from fluxtrap.web.api import MAX_SAMPLES

    params = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
    for i in range(5):
        lab.store.add_sample(NAME, f"S{i}", params, recorded_by="alice")
    url = f"/api/campaigns/{NAME}/samples"

    def labels(query: str = "") -> list[str]:
        r = lab.client.get(url + query, headers=auth("rita"))
        assert r.status_code == 200, r.text
        return [x["label"] for x in r.json()]

    assert labels() == ["S0", "S1", "S2", "S3", "S4"]
    assert labels("?limit=2&offset=1") == ["S1", "S2"] and labels("?offset=4") == ["S4"]
    assert labels("?offset=5") == []
    for bad in ("limit=0", f"limit={MAX_SAMPLES + 1}", "offset=-1", "limit=x", "limit=1_0",
                "limit=%202"):  # fmt: skip
        r = lab.client.get(f"{url}?{bad}", headers=auth("rita"))
        assert r.status_code == 422 and bad.split("=")[0] in r.text, (bad, r.text)
