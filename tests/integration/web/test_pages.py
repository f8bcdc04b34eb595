"""Dashboard pages over TestClient: login redirect, what each page shows, plotly.js served locally."""

from __future__ import annotations

import json
import re
from datetime import UTC
from html import unescape
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import pytest

from fluxtrap.optimize.plots import model_slices
from fluxtrap.web.auth import COOKIE
from fluxtrap.web.jcdata import newest_jc
from fluxtrap.web.jobs import parse_case
from fluxtrap.workflows.suggest import campaign_optimizer

from ...conftest import EXAMPLES
from .conftest import (
    NAME,
    SEED_POINTS,
    TOKENS,
    add_measured_samples,
    auth,
    kim_jc,
    login,
    synthetic_jc_3T,
)
from .test_api import P
from .test_upload import upload

CP = "/campaigns/K-Ba122%20SPS"


def figures(html: str) -> dict[str, dict]:
    """The Plotly figures a page embeds, by element id."""
    found = re.findall(
        r'<script type="application/json" id="([^"]+)-data">(.*?)</script>', html, re.S
    )
    return {k: json.loads(v) for k, v in found}


@pytest.fixture
def browser_like(lab):
    lab.client.cookies.set(COOKIE, login(lab.store, "alice"))
    return lab


@pytest.mark.parametrize(
    "path", ["/", CP, f"{CP}/jc?sample=B1", f"{CP}/model?x=dwell_time&offset=1", "/simulations"]
)
def test_pages_without_a_valid_token_redirect_to_login(lab, path):
    r = lab.client.get(path, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (
        303,
        "/login?" + urlencode({"next": path}),  # the path as sent: encoded once
    )
    lab.client.cookies.set(COOKIE, "wrong")
    assert lab.client.get(path, follow_redirects=False).status_code == 303


def test_a_page_asked_by_a_long_address_can_be_logged_in_to(lab):
    """A ?sample= list of 48 labels (2 600 characters) sent to the login page came back as its
    `next`, whose 2000-character bound refused the login itself (422 'body.next: String should
    have at most 2000 characters'); an address whose login address would pass the 8 KiB URL
    limit (a 6.8 KB list of labels written in UTF-8) had its login page refused (414). The first goes
    back to the page asked, the second to that page without its query."""
    label = "a sample with a long label, made in March " + "B1"
    lab.store.add_sample(NAME, label, P, recorded_by="alice")
    asked = f"{CP}/jc?" + urlencode([("sample", label)] * 48)
    assert 2000 < len(asked) < 8 * 2**10
    r = lab.client.get(asked, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?" + urlencode({"next": asked}))
    page = lab.client.get(r.headers["location"])
    assert page.status_code == 200 and 'id="login-form"' in page.text
    next_ = unescape(re.search(r'name="next" value="([^"]*)"', page.text)[1])
    r = lab.client.post("/login", data={"token": TOKENS["alice"], "next": next_},
                        follow_redirects=False)  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (303, asked)
    lab.client.cookies.clear()
    longer = f"{CP}/jc?" + urlencode([("sample", "é" * 10)] * 100)  # %C3%A9: %25C3%25A9
    assert len(longer) < 8 * 2**10 < len(urlencode({"next": longer}))
    r = lab.client.get(longer, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (
        303, "/login?" + urlencode({"next": f"{CP}/jc"}))  # fmt: skip
    assert lab.client.get(r.headers["location"]).status_code == 200


def test_login_page_and_local_plotly(lab):
    html = lab.client.get("/login?next=//evil.example").text
    assert 'id="login-form" data-next="/"' in html
    assert '<script src="/vendor/plotly.min.js">' in html
    js = lab.client.get("/vendor/plotly.min.js")
    assert (
        js.status_code == 200 and "plotly" in js.text[:2000].lower() and len(js.content) > 1_000_000
    )
    assert lab.client.get("/static/app.js").status_code == 200


def test_a_long_pasted_token_is_refused_on_the_login_page_without_quoting_it(lab):
    """A token pasted with the rest of the terminal line (over 200 characters) was a 422 JSON
    that quoted it back: an error message holding a secret."""
    pasted = f"token for alice: {TOKENS['alice']} " + "(keep it secret) " * 12
    r = lab.client.post("/login", data={"token": pasted, "next": "/"}, follow_redirects=False)
    assert r.status_code == 401 and "not known" in r.text, r.text
    assert TOKENS["alice"] not in r.text and "set-cookie" not in r.headers


@pytest.mark.parametrize(
    ("body", "sent"),
    [
        ({"json": {"token": TOKENS["alice"], "next": "/"}}, "'application/json'"),
        ({"content": f"token={TOKENS['alice']}", "headers": {"Content-Type": "text/plain"}},
         "'text/plain'"),
        ({"content": f"token={TOKENS['alice']}", "headers": {"Content-Type": ""}},
         "a body without a Content-Type"),
    ],
)  # fmt: skip
def test_a_login_not_sent_as_a_form_is_a_415_saying_what_it_takes(lab, body, sent):
    """A script posting its token as JSON got a 422 page saying only "body.token: Field
    required". Now a 415 saying what /login takes (a form with the field token) and what a
    script does instead (the Bearer header); a JSON request gets the API's JSON error shape, a
    browser's the error page; nobody is logged in, and the token is not quoted back."""
    r = lab.client.post("/login", follow_redirects=False, **body)
    assert r.status_code == 415, r.text
    if "json" in body:
        assert set(r.json()) == {"detail", "error"}
        text = r.json()["detail"]
    else:
        assert r.headers["content-type"].startswith("text/html") and "415 Unsupported" in r.text
        text = r.text.replace("&#39;", "'")
    assert "takes an HTML form (Content-Type application/x-www-form-urlencoded" in text
    assert f"with the field token (and next), not {sent}" in text
    assert "'Authorization: Bearer TOKEN'" in text and "body.token" not in text
    assert TOKENS["alice"] not in r.text and "set-cookie" not in r.headers
    assert lab.store.session_count() == 0


def test_a_login_form_without_a_token_asks_for_it_on_the_login_page(lab):
    r = lab.client.post("/login", data={"next": "/x"}, follow_redirects=False)
    assert r.status_code == 422 and "no token was given: paste the API token" in r.text
    assert 'id="login-form" data-next="/x"' in r.text and "body.token" not in r.text
    r = lab.client.post("/login", follow_redirects=False)  # no body at all
    assert r.status_code == 422 and "no token was given" in r.text, r.text
    assert lab.store.session_count() == 0


@pytest.mark.parametrize(
    ("post", "data", "says"),
    [
        ("/login", [("token", TOKENS["rita"]), ("token", TOKENS["alice"])],
         "form field 'token' was sent 2 times: give it once"),
        ("/login", [("tokne", TOKENS["alice"]), ("token", TOKENS["alice"])],
         "unknown form field(s) 'tokne' (did you mean 'token'?) for POST /login; it takes "
         "next, token"),
        ("/login", [("token", TOKENS["alice"]), ("next", "/"), ("next", "//evil.example")],
         "form field 'next' was sent 2 times"),
        ("/logout", [("csrf", "x"), ("csrf", "y")], "form field 'csrf' was sent 2 times"),
    ],
)  # fmt: skip
def test_a_page_form_with_a_field_twice_or_unknown_is_a_400_page_naming_it(lab, post, data, says):
    """The API refused these; the pages' forms took the last value of a field sent twice (two
    tokens: logged in as whoever came last) and ignored unknown fields. Nothing is done, and the
    tokens sent are not quoted back."""
    lab.client.cookies.set(COOKIE, login(lab.store, "bob"))
    body = urlencode(data)
    r = lab.client.post(
        post,
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html"), r.text
    assert says in unescape(r.text) and "set-cookie" not in r.headers
    assert TOKENS["alice"] not in r.text and TOKENS["rita"] not in r.text


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("/model?objective=jc_3T&objective=tc", "query parameter 'objective' was sent 2 times"),
        ("/model?obective=jc_3T", "unknown query parameter(s) 'obective' (did you mean "
         "'objective'?) for GET /campaigns/{campaign}/model; it takes limit, objective, offset, x, y"),
        ("?view=all", "unknown query parameter(s) 'view' for GET /campaigns/{campaign}; it "
         "takes limit, offset"),
    ],
)  # fmt: skip
def test_a_page_query_parameter_twice_or_unknown_is_a_400_page_naming_it(browser_like, query, says):
    """The model page drew the last of two objectives and ignored a misspelt one, showing the
    first objective as if it were the one asked for; a list (?sample=) may repeat."""
    r = browser_like.client.get(CP + query)
    assert r.status_code == 400 and says in unescape(r.text), r.text
    browser_like.store.add_sample(NAME, "B1", P)
    assert browser_like.client.get(f"{CP}/jc?sample=B1&sample=B1").status_code == 200


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_load_without_the_internet(lab, path):
    html = lab.client.get(path).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [a for a in assets if "//" in a]  # nothing from a CDN
    for a in assets:
        r = lab.client.get(a)
        assert r.status_code == 200 and len(r.content) > 1000, a


def test_index_lists_campaigns(browser_like):
    html = browser_like.client.get("/").text
    assert f'<a href="{CP}">{NAME}</a>' in html
    assert "alice (writer)" in html


def test_overview_shows_samples_by_origin_and_progress(browser_like, loop_file):
    lab = browser_like
    lab.store.add_sample(NAME, "B1", P, recorded_by="alice")
    lab.store.add_sample(
        NAME,
        "O1",
        P | {"dwell_time": 9},
        origin="optimizer",
        objectives={"jc_3T": 2e8},
        recorded_by="bob",
    )
    assert upload(lab, loop_file).status_code == 201
    html = lab.client.get(CP).text
    researcher, optimizer = html.split('data-origin="researcher"')[1].split(
        'data-origin="optimizer"'
    )
    # B1's loop file is SYNTHETIC: flagged; O1 has no file
    assert '<td>B1 <span class="synthetic"' in researcher and "<td>O1</td>" in optimizer
    assert '<td class="num">20,000</td>' in optimizer  # 2e8 A/m^2 shown as A/cm^2
    fig = figures(html)["progress-jc_3T"]
    names = [t["name"] for t in fig["data"]]
    assert names == [
        "researcher samples",
        "optimizer samples",
        "best so far (all)",
        "best so far (researcher)",
        "best so far (optimizer)",
    ]
    # each sample's stated 1-sigma as its error bar, in A/cm^2; none stated, none drawn
    sigma = lab.store.sample(NAME, "B1").objective_errors["jc_3T"]  # A/m^2, from the loop
    researcher, optimizer = fig["data"][:2]
    assert researcher["error_y"]["array"] == [pytest.approx(sigma * 1e-4, rel=1e-9)]
    assert sigma > 0 and optimizer["error_y"]["array"] == [None]
    # its hover reads value ± 1-sigma rounded alike (plotly's %{y:.4g} gave "2.125e+4 ± 6.4")
    assert "%{y" not in researcher["hovertemplate"]
    value, err = researcher["customdata"][0].replace(",", "").split(" ± ")
    assert len(value.partition(".")[2]) == len(err.partition(".")[2]), (value, err)
    assert float(value) == pytest.approx(researcher["y"][0], abs=float(err))
    assert 'id="upload-form"' in html and 'id="sample-form"' in html


def test_times_on_pages_are_in_utc_and_say_so():
    """Pages printed stored times without a zone: a PostgreSQL session in Europe/Berlin gave
    09:30 for what SQLite showed as 07:30. Both now read 07:30 UTC."""
    from datetime import datetime, timedelta, timezone

    from fluxtrap.web.pages import templates

    berlin = datetime(2026, 7, 1, 9, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    sqlite = datetime(2026, 7, 1, 7, 30, 5)  # UTC, without its zone
    utc = templates.env.filters["utc"]
    assert utc(berlin) == utc(sqlite) == "2026-07-01 07:30:05 UTC"
    assert utc(berlin, "%H:%M:%S") == "07:30:05 UTC"


def test_overview_shows_each_samples_notes_cut_to_a_line(browser_like):
    """The record-a-sample form takes notes, and no page showed them: what was typed there was
    out of sight. Each row shows them, at most NOTES_SHOWN characters (the API gives all)."""
    from fluxtrap.web.pages import NOTES_SHOWN

    lab = browser_like
    lab.store.add_sample(NAME, "B1", P, notes="cracked on <removal> & re-polished")
    lab.store.add_sample(NAME, "B2", P | {"dwell_time": 9}, notes="x" * 10_000)
    html = lab.client.get(CP).text
    cells = re.findall(r'<td class="notes">(.*?)</td>', html, re.S)
    assert cells == ["cracked on &lt;removal&gt; &amp; re-polished", "x" * (NOTES_SHOWN - 1) + "…"]


def test_overview_shows_categorical_values_and_failed_samples(browser_like):
    """A categorical parameter's choice is shown as text (it was formatted as a number: 500),
    and a failed sample says so."""
    lab = browser_like
    body = {
        "name": "Gas",
        "parameters": [
            {"name": "t", "unit": "degC", "low": 450, "high": 750, "step": 1},
            {"name": "gas", "choices": ["Ar", "vacuum"]},
        ],
        "objectives": [{"name": "y"}],
    }
    assert lab.client.post("/api/campaigns", json=body, headers=auth("alice")).status_code == 201
    lab.store.add_sample("Gas", "S1", {"t": 600, "gas": "Ar"}, objectives={"y": 1.5})
    lab.store.add_sample("Gas", "S2", {"t": 650, "gas": "vacuum"})
    failed = lab.store.set_sample_status("Gas", "S2", "failed", note="cracked", changed_by="bob")
    r = lab.client.get("/campaigns/Gas")
    assert r.status_code == 200, r.text
    assert '<td class="num">Ar</td>' in r.text and '<td class="num">vacuum</td>' in r.text
    # the status cell's title names who marked it and when (the page had the note alone)
    when = f"{failed.status_changed_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    title = f"cracked · set by bob, {when}"
    assert f'<td class="status-failed" title="{title}">failed</td>' in r.text
    assert '<td class="status-made">made</td>' in r.text
    assert "t [450–750 degC], gas {Ar, vacuum}" in lab.client.get("/").text  # was a 500


def test_objective_headers_show_the_unit_the_cli_shows(browser_like):
    """The overview's columns and progress axes, and the model page's predictions, name each
    objective with the unit the CLI's tables show (only Jc's A/cm² was shown: "tc", not
    "tc [K]"). One sample has a Tc, so the model page draws no model of it (a fit of three
    objectives took most of this test's 55 s): its suggestion table is the same."""
    from fluxtrap.cli.common import objective_header

    lab = browser_like
    body = {
        "name": "Units",
        "parameters": [{"name": "t", "unit": "degC", "low": 450, "high": 750, "step": 1}],
        "objectives": [
            {"name": "tc", "quantity": "tc"},
            {"name": "hardness", "unit": "GPa"},
            {"name": "y"},
        ],
    }
    assert lab.client.post("/api/campaigns", json=body, headers=auth("alice")).status_code == 201
    for i, t in enumerate([500, 600, 700]):
        tc = {"tc": 30.0} if i == 0 else {}
        lab.store.add_sample("Units", f"S{i}", {"t": t},
                             objectives={**tc, "hardness": 2.0 + i, "y": i})  # fmt: skip
    lab.store.add_suggestions("Units", [{"t": 650}], [0.1], {}, seed=1,
                              predictions=[{"tc": {"mean": 31.0, "std": 1.0}}])  # fmt: skip
    html = lab.client.get("/campaigns/Units").text
    spec = lab.store.campaign("Units")
    assert [objective_header(o) for o in spec.objectives] == ["tc [K]", "hardness [GPa]", "y"]
    for o in spec.objectives:
        assert f'<th class="num">{objective_header(o)}</th>' in html
        fig = figures(html)[f"progress-{o.name}"]
        assert fig["layout"]["yaxis"]["title"]["text"] == objective_header(o)
    html = lab.client.get("/campaigns/Units/model?objective=tc").text
    assert "needs at least 2 measured samples; 1 so far" in html  # no model fitted
    assert "predicted tc [K]</th>" in html


def test_the_model_page_predicts_the_constraint_outcomes_as_suggest_does(browser_like):
    """A Jc campaign with a tc >= 36 K constraint: `fluxtrap suggest` shows each suggestion's
    predicted tc, the model page showed Jc's alone. Now both, as ObjectiveDef.prediction_text."""
    from fluxtrap.campaign import CampaignSpec

    lab = browser_like
    spec = CampaignSpec.from_dict(
        {
            "name": "Tc",
            "parameters": [{"name": "t", "unit": "degC", "low": 450, "high": 750}],
            "objectives": [{"name": "jc"}, {"name": "tc", "quantity": "tc", "goal": "constraint"}],
            "constraints": [{"expression": "tc >= 36 K"}],
        }
    )
    lab.store.create_campaign(spec)
    guess = {"jc": {"mean": 2.5, "std": 0.5}, "tc": {"mean": 37.2, "std": 0.8}}
    lab.store.add_suggestions("Tc", [{"t": 650}], [0.1], {}, seed=1, predictions=[guess])
    html = lab.client.get("/campaigns/Tc/model").text
    row = html.split('data-suggestion-row="')[1]
    for o in spec.objectives:
        assert f"predicted {o.label}</th>" in html
        assert f'<td class="num">{o.prediction_text(**guess[o.name])}</td>' in row


def test_pages_of_a_campaign_with_categorical_and_fixed_parameters(browser_like):
    """The overview with an open suggestion holding a choice, and the model explorer: slices
    along numeric parameters only, through the best sample's choice (each was a 500)."""
    from fluxtrap.campaign import CampaignSpec

    from .test_browser import MIXED

    lab = browser_like
    lab.store.create_campaign(CampaignSpec.from_dict(MIXED))
    for i, (t, gas, y) in enumerate([(450, "Ar", 1.0), (550, "vacuum", 3.0), (650, "Ar", 2.0)]):
        lab.store.add_sample("Mixed", f"S{i}", {"t": t, "gas": gas, "die": 10}, objectives={"y": y})
    lab.store.add_suggestions("Mixed", [{"t": 600, "gas": "vacuum", "die": 20}], [0.1], {}, 1)
    html = lab.client.get("/campaigns/Mixed").text
    assert ">#1: t=600 gas=vacuum die=20 p=50 </option>" in html
    assert "die {10, 20}, p = 50 MPa</td>" in lab.client.get("/").text  # was "p = 50.0 MPa"
    r = lab.client.get("/campaigns/Mixed/model/plots")
    assert r.status_code == 200, r.text
    fig = figures(r.text)["model-1d"]
    # each held value with its unit (it read "die=10": 10 what?); a choice of text has none
    assert fig["layout"]["title"]["text"] == "y through the best sample S1 (gas=vacuum, die=10 mm)"
    r = lab.client.get("/campaigns/Mixed/model")
    assert re.search(r'<select name="x"><option selected>t</option></select>', r.text)
    heads = re.findall(r'<th class="num">([^<]*)</th>', r.text.split('id="suggestion-table"')[1])
    assert heads[:4] == ["t [degC]", "gas", "die [mm]", "p [MPa]"]  # gas was "gas []"
    r = lab.client.get("/campaigns/Mixed/model/plots?x=gas")
    assert r.status_code == 200 and "gas is categorical; slices run along numeric" in r.text
    # a fixed parameter was answered "search space has no parameter 'p'; known: t, gas, die"
    r = lab.client.get("/campaigns/Mixed/model?x=p")
    assert r.status_code == 200 and 'id="model-plots"' not in r.text  # nothing to fit
    said = "p is fixed by the campaign, not a parameter of the model: its slices run along the "
    assert said + "numeric parameters (t)" in r.text


def test_a_campaign_suggest_will_refuse_says_so_on_its_pages(browser_like):
    """The overview and the model page's suggestion panel carry `campaign create`'s note for a
    campaign with more objectives to optimise than suggest takes; the example's pages do not."""
    from fluxtrap.campaign import CampaignSpec

    lab = browser_like
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml").to_dict()
    spec["name"] = "Four <goals>"
    spec["objectives"] += [
        {"name": f"jc_{b}T", "quantity": "jc", "field": f"{b} T", "temperature": "5 K"}
        for b in (0, 1, 5)
    ]
    lab.store.create_campaign(CampaignSpec.from_dict(spec))
    for path in ("/campaigns/Four%20%3Cgoals%3E", "/campaigns/Four%20%3Cgoals%3E/model"):
        html = lab.client.get(path).text
        note = re.search(r'<p class="warn campaign-note" id="campaign-note">note: (.*?)</p>', html)
        assert note, path
        text = unescape(note.group(1))
        assert text.startswith("4 objectives to optimise (jc_3T, jc_0T, jc_1T, jc_5T): fluxtrap ")
        assert 'suggest takes at most 3 (its work grows exponentially with them); samples can be ' \
            'recorded, and goal = "constraint"' in text  # fmt: skip
    for path in (CP, f"{CP}/model"):
        assert 'id="campaign-note"' not in lab.client.get(path).text


def test_reader_sees_no_write_forms(lab, loop_file):
    """Nor links to forms they are not shown: the Jc(B) page's "simulate with the Jc(B) of" led
    a reader to a simulations page without the form, and without a word."""
    lab.store.add_sample(NAME, "B1", P)
    assert upload(lab, loop_file).status_code == 201
    for user, shown in (("alice", True), ("rita", False)):
        lab.client.cookies.set(COOKIE, login(lab.store, user))
        html = lab.client.get(CP).text
        assert (f"{user} (reader)" in html) is not shown and ('id="upload-form"' in html) is shown
        assert ("/simulations?campaign=" in lab.client.get(f"{CP}/jc").text) is shown


def test_jc_page_compares_measured_samples(browser_like, loop_file):
    lab = browser_like
    for label in ("B1", "B2"):
        lab.store.add_sample(NAME, label, P | {"dwell_time": 5 + len(label) * (label == "B2")})
        assert upload(lab, loop_file, label=label).status_code == 201
    html = lab.client.get(f"{CP}/jc?sample=B2").text
    assert 'value="B1" >' in html and 'value="B2" checked>' in html
    fig = figures(html)["jc"]
    assert [t["legendgroup"] for t in fig["data"]] == ["B1"] * 3 + ["B2"] * 3
    assert [t.get("fill") for t in fig["data"]] == ["toself", None, None] * 2
    assert [t["mode"] for t in fig["data"]] == ["lines", "lines", "markers"] * 2
    assert fig["layout"]["yaxis"]["type"] == "log"
    # the band: Jc +- its stored 1-sigma error at the fully penetrated points, in A/cm^2
    (_, curve) = newest_jc(lab.store, NAME, ["B2"])["B2"]
    c = {k: np.asarray(v) for k, v in curve.columns.items()}
    ok = c["unpenetrated"] < 0.5
    jc, err = c["Jc_A_m2"][ok] * 1e-4, c["Jc_err_A_m2"][ok] * 1e-4
    band, line = fig["data"][3:5]
    assert np.all(err > 0) and line["y"] == pytest.approx(jc, rel=1e-9)
    upper, lower = np.split(np.asarray(band["y"]), 2)
    assert upper == pytest.approx(jc + err, rel=1e-9)
    assert lower[::-1] == pytest.approx(np.maximum(jc - err, jc / 100), rel=1e-9)
    # a label of no sample is a 404, as in the API (the page ignored it); one not measured: a note
    r = lab.client.get(f"{CP}/jc?sample=nope")
    assert r.status_code == 404 and "has no sample labelled &#39;nope&#39;" in r.text, r.text[-600:]
    lab.store.add_sample(NAME, "B3", P | {"dwell_time": 9})
    html = lab.client.get(f"{CP}/jc?sample=B3&sample=B1").text
    assert "<strong>B3</strong>: no Jc(B) curve yet: upload an M(H) loop of it" in html
    assert 'value="B1" checked>' in html and 'value="B2" >' in html


def test_jc_page_refuses_an_unknown_sample_before_reading_curves(
    browser_like, loop_file, monkeypatch
):
    """``?sample=nope`` read and drew every drawn curve (a heavy turn) before its 404: now the
    labels asked are looked up first, and no curve is read for a bad request."""
    from fluxtrap.web import jcdata

    lab = browser_like
    lab.store.add_sample(NAME, "B1", P)
    assert upload(lab, loop_file).status_code == 201
    read = []
    monkeypatch.setattr(jcdata, "read_jc", lambda *a: read.append(a) or {})
    r = lab.client.get(f"{CP}/jc?sample=B1&sample=nope")
    assert r.status_code == 404 and "has no sample labelled &#39;nope&#39;" in r.text
    assert read == []


def test_the_jc_page_names_each_curve_with_its_measurement_temperature(browser_like, loop_file):
    """Loops measured at 5 K and at 20 K were drawn as "B1" and "B2" under one title, "at the
    measurement temperature": the colder one looked the better sample. Each curve and its
    checkbox now say the temperature the file's loop was measured at."""
    import io

    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    lab = browser_like
    table = synthetic_mh_loop(  # SYNTHETIC: a weaker Jc at 20 K
        kim(1e9, 0.6), 1e-3, 2e-3, 0.5e-3, temperature_K=20.0, n_points=81, noise_emu=1e-4
    )
    warm = io.StringIO()
    write_qd_dat(table, warm)
    for label, content in (("B1", loop_file), ("B2", warm.getvalue().encode())):
        lab.store.add_sample(NAME, label, P | {"dwell_time": 5 + (label == "B2")})
        assert upload(lab, content, label=label).status_code == 201
    html = lab.client.get(f"{CP}/jc").text
    names = [t["name"] for t in figures(html)["jc"]["data"] if t["mode"] == "lines"]
    assert names == ["B1 (5 K) ± 1 sigma", "B1 (5 K)", "B2 (20 K) ± 1 sigma", "B2 (20 K)"]
    assert 'value="B1" checked> B1 (5 K) <span class="synthetic"' in html  # SYNTHETIC loop
    assert 'value="B2" checked> B2 (20 K) <span class="synthetic"' in html


def test_the_jc_page_draws_a_bounded_number_of_samples(browser_like, loop_file, monkeypatch):
    """Every measured sample's curve was read and drawn: 2000 samples' 1000-point curves were a
    170 MB page, 46 s to build (40 were 3.4 MB, 0.9 s). Now at most MAX_JC_DRAWN (2 here): those
    asked for and the most recently measured others, saying how many are left out."""
    from fluxtrap.web import pages

    monkeypatch.setattr(pages, "MAX_JC_DRAWN", 2)
    lab = browser_like
    for i, label in enumerate(("B1", "B2", "B3")):
        lab.store.add_sample(NAME, label, P | {"dwell_time": i})
        assert upload(lab, loop_file, label=label).status_code == 201
    for query, drawn in (("", ["B2", "B3"]), ("?sample=B1", ["B1", "B3"])):
        html = lab.client.get(f"{CP}/jc{query}").text
        assert list(dict.fromkeys(t["legendgroup"] for t in figures(html)["jc"]["data"])) == drawn
        assert "1 more measured samples are not drawn: the page draws 2" in html
    r = lab.client.get(f"{CP}/jc?sample=B1&sample=B2&sample=B3")
    assert (
        r.status_code == 422
        and "3 samples asked (?sample=): the Jc(B) page draws at most 2" in r.text
    )


def blank_moment(dat: bytes, rows: tuple[int, ...]) -> tuple[bytes, list[int]]:
    """The .dat file with the moment cell of data rows ``rows`` (0-based) emptied, and their lines."""
    lines = dat.decode().split("\n")
    head = lines.index(next(ln for ln in lines if ln.strip(",\r") == "[Data]")) + 1
    col = lines[head].split(",").index("Moment (emu)")
    for r in rows:
        cells = lines[head + 1 + r].split(",")
        cells[col] = ""
        lines[head + 1 + r] = ",".join(cells)
    return "\n".join(lines).encode(), [head + 2 + r for r in rows]


def test_jc_page_tells_what_the_analysis_warned_about(browser_like, loop_file):
    lab = browser_like
    lab.store.add_sample(NAME, "B1", P)
    assert upload(lab, loop_file).status_code == 201
    assert 'id="jc-notes"' not in lab.client.get(f"{CP}/jc").text  # a clean file: nothing to say
    content, lines = blank_moment(loop_file, (10, 11))
    assert upload(lab, content, filename="B1_gaps.dat", replace="true").status_code == 201
    notes = unescape(lab.client.get(f"{CP}/jc").text.split('id="jc-notes"')[1].split("</ul>")[0])
    assert (
        f"B1_gaps.dat: skipped 2 rows without a moment or field value (lines {lines[0]}, {lines[1]})"
        in notes
    )
    cut = loop_file.rstrip(b"\r\n")[:-2]  # cut inside the last row's last number
    r = upload(lab, cut, filename="B1_cut.dat", replace="true")
    last = cut.count(b"\n") + 1
    assert r.status_code == 201 and r.json()["measurement"]["metadata"]["unterminated_line"] == last
    notes = unescape(lab.client.get(f"{CP}/jc").text.split('id="jc-notes"')[1].split("</ul>")[0])
    assert f"B1_cut.dat: left out line {last}, the last: it has no line end" in notes


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/jobs/abc", "path.job_id: Value error, an id is written in the digits 0-9 only"),
        ("/simulations/0", "path.simulation_id: Input should be greater than or equal to 1"),
        ("/calibrations/99999999999", "path.calibration_id: Input should be less than"),
    ],
)
def test_a_malformed_page_address_is_an_error_page_naming_the_field(browser_like, path, says):
    """It was FastAPI's JSON list, shown raw in the browser."""
    r = browser_like.client.get(path)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), r.text
    assert says in unescape(r.text) and "<h1>422 Unprocessable" in r.text


def test_unknown_campaign_page_is_a_404_page(browser_like):
    r = browser_like.client.get("/campaigns/nope")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"] and "no campaign named &#39;nope&#39;" in r.text
    assert "<h1>404 Not Found</h1>" in r.text and "Exception" not in r.text  # not a class name


def test_model_explorer_shows_model_data_and_suggestions(browser_like):
    lab = browser_like
    html = lab.client.get(f"{CP}/model").text
    assert "the model needs at least 2 measured samples; 0 so far" in html
    add_measured_samples(lab.store)
    s1, s2 = lab.store.add_suggestions(
        NAME,
        [
            {"ramp_rate": 40, "max_temperature": 620, "dwell_time": 20},
            {"ramp_rate": 60, "max_temperature": 680, "dwell_time": 25},
        ],
        [0.5, 0.4],
        {},
        seed=3,
        created_by="bob",
    )
    html = lab.client.get(f"{CP}/model/plots?x=max_temperature").text
    fig = figures(html)["model-1d"]
    by_name = {t["name"]: t for t in fig["data"]}
    assert list(by_name) == [
        "mean ± 2 std",
        "model mean",
        "researcher samples",
        "optimizer samples",
        "next suggestions",
        "acquisition",
    ]
    assert by_name["next suggestions"]["x"] == [620, 680]
    # the acquisition is a second panel below the model, on the same x axis, suggestions marked
    acq = by_name["acquisition"]
    assert (acq["xaxis"], acq["yaxis"]) == ("x2", "y2") and acq["x"] == by_name["model mean"]["x"]
    assert fig["layout"]["xaxis"]["matches"] == "x2"
    assert fig["layout"]["yaxis2"]["title"]["text"] == "acquisition (log EI, EI in A/cm²)"
    assert sorted(sh["x0"] for sh in fig["layout"]["shapes"]) == [620, 680]
    assert by_name["researcher samples"]["x"] == [t for _, t, _ in SEED_POINTS]
    # the GP interpolates its (noise-free, synthetic) data: the mean at the best sample is close to it
    best = max(SEED_POINTS, key=lambda p: synthetic_jc_3T(*p))
    mean = dict(zip(by_name["model mean"]["x"], by_name["model mean"]["y"], strict=True))
    nearest = min(mean, key=lambda t: abs(t - best[1]))
    assert abs(nearest - best[1]) <= 300 / 59
    title = fig["layout"]["title"]["text"]  # the held values with their units (were bare)
    assert re.search(r"best sample R3 \(ramp_rate=[\d.]+ degC/min, dwell_time=[\d.]+ min\)$", title)
    # a sample's stated 1-sigma is its error bar, in A/cm^2, as on the overview (none were drawn)
    lab.store.set_objectives(NAME, "R2", {"jc_3T": "3731 ± 250 A/cm^2"}, replace=True)
    html = lab.client.get(f"{CP}/model/plots?x=max_temperature").text
    by_name = {t["name"]: t for t in figures(html)["model-1d"]["data"]}
    assert by_name["researcher samples"]["error_y"]["array"] == [None, 250, None, None, None]
    assert by_name["researcher samples"]["customdata"][1] == "3,730 ± 250"  # its hover
    html = lab.client.get(f"{CP}/model?x=max_temperature").text
    assert f'data-suggestion-row="{s1.id}"' in html and f'data-suggestion-row="{s2.id}"' in html
    fig = figures(lab.client.get(f"{CP}/model/plots?x=max_temperature&y=dwell_time").text)[
        "model-2d"
    ]
    assert [t["type"] for t in fig["data"][:3]] == ["contour"] * 3
    assert [t["name"] for t in fig["data"][:3]] == ["mean", "std", "acquisition"]
    titles = [a["text"] for a in fig["layout"]["annotations"][:2]]  # each map's, with its unit
    assert titles == ["mean jc_3T [A/cm²]", "std jc_3T [A/cm²] (uncertainty)"]  # std had none
    assert [t["xaxis"] for t in fig["data"][:3]] == ["x", "x2", "x3"]  # three maps side by side
    assert not any(t["type"] == "contour" for t in fig["data"][3:])
    stars = [t for t in fig["data"] if t["name"] == "next suggestions"]
    assert [(t["x"], t["y"]) for t in stars] == [([620, 680], [20, 25])] * 3
    assert "predicted jc_3T" not in html  # stored without the model's prediction
    (s3,) = lab.store.add_suggestions(
        NAME,
        [{"ramp_rate": 50, "max_temperature": 600, "dwell_time": 10}],
        [0.3],
        {},
        seed=3,
        predictions=[{"jc_3T": {"mean": 2.0361e8, "std": 3.123e7}}],  # A/m^2, as stored
    )
    html = lab.client.get(f"{CP}/model?x=max_temperature").text
    assert "predicted jc_3T [A/cm²]</th>" in html
    row = html[html.index(f'data-suggestion-row="{s3.id}"') :]
    assert '<td class="num">20,400 ± 3,100</td>' in row[: row.index("</tr>")]


def test_the_model_page_s_stopping_advice_is_in_the_tables_unit(browser_like):
    """The advice said "expected improvement 5e+06 A/m^2" beside tables of Jc in A/cm²."""
    lab = browser_like
    summary = {"objectives": {"jc_3T": {"noise_std": 2.0e7}}}  # A/m^2, as stored
    lab.store.add_suggestions(NAME, [P], [float(np.log(5.0e6))], summary, seed=3)
    html = unescape(lab.client.get(f"{CP}/model").text)
    advice = html[html.index('id="stopping-advice"') :].split("</p>")[0]
    assert "expected improvement 500 A/cm² = 0.25 x the noise std 2e+03 A/cm²;" in advice


def test_a_two_objective_campaign_s_model_page_says_why_it_gives_no_stopping_advice(
    browser_like,
):
    """A campaign of two optimised objectives showed no stopping advice and no word why."""
    from fluxtrap.campaign import CampaignSpec

    lab = browser_like
    spec = {
        "name": "two",
        "parameters": [{"name": "x", "low": 0, "high": 1}],
        "objectives": [{"name": "jc"}, {"name": "tc", "quantity": "tc"}],
    }
    lab.store.create_campaign(CampaignSpec.from_dict(spec))
    lab.store.add_suggestions("two", [{"x": 0.5}], [None], {}, seed=1)
    html = unescape(lab.client.get("/campaigns/two/model").text)
    advice = html[html.index('id="stopping-advice"') :].split("</p>")[0]
    assert "stopping advisor: none for 2 objectives (jc, tc): it weighs one objective" in advice


def test_a_log_objective_s_model_page_shows_medians_and_factor_bands(browser_like):
    """A log objective's model gives the median exp(mu) and the sd of ln(value): the page showed
    a prediction as "1,000.00 ± 0.50" and the band as mean ± 2 sd, 0.05 % wide. Now the median
    with exp(mu -+ sd), and the band exp(mu -+ 2 sd) on a log axis; the campaign page's progress
    on a log axis too."""
    from fluxtrap.campaign import CampaignSpec

    lab = browser_like
    spec = {
        "name": "logjc",
        "parameters": [{"name": "x", "low": 0, "high": 1}],
        "objectives": [{"name": "jc", "log": True}],
    }
    lab.store.create_campaign(CampaignSpec.from_dict(spec))
    for i, x in enumerate([0.1, 0.3, 0.5, 0.7, 0.9]):  # 10^(1 + 3x): 2.7 decades
        lab.store.add_sample("logjc", f"S{i}", {"x": x}, objectives={"jc": 10 ** (1 + 3 * x)})
    summary = {"prediction": {"jc": {"mean": 1000.0, "std": 0.5}}}
    lab.store.add_suggestions("logjc", [{"x": 0.55}], [None], summary, seed=1)
    progress = figures(lab.client.get("/campaigns/logjc").text)["progress-jc"]
    assert progress["layout"]["yaxis"]["type"] == "log"  # 2.7 decades: linear left 3 at 0
    assert progress["layout"]["title"]["text"] == "jc: maximize, log"
    assert "<td>jc (maximize, log)</td>" in lab.client.get("/").text  # the campaigns' list
    html = unescape(lab.client.get("/campaigns/logjc/model").text)
    assert '<td class="num">1e+03 (607 to 1.65e+03)</td>' in html  # 1000 exp(-+0.5)
    fig = figures(lab.client.get("/campaigns/logjc/model/plots?x=x").text)["model-1d"]
    by_name = {t["name"]: t for t in fig["data"]}
    band, median = by_name["exp(mu ± 2 sd)"]["y"], by_name["model median"]["y"]
    n = len(median)
    high, low = np.array(band[:n]), np.array(band[n:][::-1])
    assert np.all(high / np.array(median) > 1.05) and np.allclose(high * low, np.square(median))
    assert fig["layout"]["yaxis"]["type"] == "log"


def test_a_log_objective_s_2d_median_map_is_coloured_by_decade(browser_like):
    """The 2-D map of a log objective's median was coloured linearly: 3 decades of Jc showed
    one peak on a single dark colour. Now log10 of the median, its colour bar ticked at decades
    (their values as typed), the hover naming it."""
    from fluxtrap.campaign import CampaignSpec

    lab = browser_like
    spec = {
        "name": "logjc2",
        "parameters": [{"name": "x", "low": 0, "high": 1}, {"name": "t", "low": 0, "high": 1}],
        "objectives": [{"name": "jc", "log": True}],
    }
    lab.store.create_campaign(CampaignSpec.from_dict(spec))
    for i, (x, t) in enumerate([(0.1, 0.2), (0.3, 0.9), (0.5, 0.5), (0.7, 0.1), (0.9, 0.7)]):
        lab.store.add_sample(
            "logjc2", f"S{i}", {"x": x, "t": t}, objectives={"jc": 10 ** (1 + 3 * x)}
        )
    fig = figures(lab.client.get("/campaigns/logjc2/model/plots?x=x&y=t").text)["model-2d"]
    median = next(d for d in fig["data"] if d.get("name") == "mean")
    z = np.array(median["z"], dtype=float)
    assert z.min() > 0.5 and z.max() < 4.5  # log10 of 10 .. 1e4, not the medians themselves
    bar = median["colorbar"]
    assert (
        bar["ticktext"] == [f"{10.0**k:g}" for k in bar["tickvals"]] and "1000" in bar["ticktext"]
    )
    assert "median 10^" in median["hovertemplate"]


def test_the_suggestion_table_s_acquisition_reads_as_the_plot_s(browser_like):
    """The table showed the stored log EI of Jc in A/m^2 (15.9) under a plot of log EI in
    A/cm^2 (about 5): now both are in A/cm^2, the table's header naming it."""
    lab = browser_like
    (s,) = lab.store.add_suggestions(NAME, [P], [float(np.log(5.0e6))], {}, seed=3)
    html = unescape(lab.client.get(f"{CP}/model").text)
    assert '>acquisition<br><span class="muted">log EI, EI in A/cm²</span></th>' in html
    row = html[html.index(f'data-suggestion-row="{s.id}"') :]
    assert f'<td class="num">{np.log(500.0):.3g}</td>' in row[: row.index("</tr>")]  # ln 500


def test_model_explorer_draws_the_optimizers_slices(browser_like):
    """The explorer's numbers are ``model_slices`` of the optimizer ``suggest`` uses: the mean is
    ``Optimizer.predict`` (in A/cm^2), the acquisition peaks where ``model_slices`` says, with the
    open suggestion pending (a used one is not)."""
    lab = browser_like
    add_measured_samples(lab.store)
    used, open_ = lab.store.add_suggestions(
        NAME,
        [
            {"ramp_rate": 30, "max_temperature": 640, "dwell_time": 15},
            {"ramp_rate": 45, "max_temperature": 610, "dwell_time": 20},
        ],
        [0.5, 0.4],
        {},
        seed=3,
    )
    made = {"ramp_rate": 30, "max_temperature": 640, "dwell_time": 15}  # measured: not pending
    jc = min(synthetic_jc_3T(*p) for p in SEED_POINTS)  # below the best: the slices pass it by
    lab.store.add_sample(NAME, "O1", made, suggestion_id=used.id, objectives={"jc_3T": jc},
                         recorded_by="carol")  # fmt: skip
    spec, history = lab.store.campaign(NAME), lab.store.history(NAME)
    opt, pending = campaign_optimizer(spec, history, [open_.params])
    assert len(pending) == 1
    best = dict(zip(("ramp_rate", "max_temperature", "dwell_time"), SEED_POINTS[2], strict=True))
    assert best == max(
        (dict(zip(best, p, strict=True)) for p in SEED_POINTS),
        key=lambda p: synthetic_jc_3T(**p),
    )

    html = lab.client.get(f"{CP}/model?x=max_temperature").text
    row = html.split(f'data-suggestion-row="{used.id}"')[1].split("</tr>")[0]
    assert '<td class="status-used">used</td>' in row and "<td>carol</td>" in row  # status set by
    fig = figures(lab.client.get(f"{CP}/model/plots?x=max_temperature").text)["model-1d"]
    by_name = {t["name"]: t for t in fig["data"]}
    x = np.array(by_name["model mean"]["x"])
    assert x.size == 60 and (x[0], x[-1]) == (450, 750)
    want = opt.predict(pd.DataFrame([best | {"max_temperature": v} for v in x]))["jc_3T_mean"]
    np.testing.assert_allclose(by_name["model mean"]["y"], want * 1e-4, rtol=1e-9)
    s = model_slices(
        opt, through=best, pending=pending, n_grid=60, one_d=["max_temperature"], two_d=[]
    )["one_d"]["max_temperature"]
    acq = np.array(by_name["acquisition"]["y"], dtype=float)
    assert np.argmax(acq) == np.argmax(s["acquisition"])
    # log EI of Jc in A/cm² (the optimizer's, in A/m², less ln 1e4), as the mean beside it
    np.testing.assert_allclose(acq, s["acquisition"] - np.log(1e4), rtol=1e-6)
    assert by_name["next suggestions"]["x"] == [610]  # the used suggestion is not drawn

    url = f"{CP}/model/plots?x=max_temperature&y=dwell_time"
    fig = figures(lab.client.get(url).text)["model-2d"]
    mean, std, acq = fig["data"][:3]
    gx, gy = np.array(mean["x"]), np.array(mean["y"])
    assert (gx.size, gy.size) == (31, 31) and (gy[0], gy[-1]) == (0, 60)
    grid = pd.DataFrame([best | {"max_temperature": a, "dwell_time": b} for b in gy for a in gx])
    pred = opt.predict(grid)
    np.testing.assert_allclose(np.ravel(mean["z"]), pred["jc_3T_mean"] * 1e-4, rtol=1e-9)
    np.testing.assert_allclose(np.ravel(std["z"]), pred["jc_3T_std"] * 1e-4, rtol=1e-9)
    s = model_slices(
        opt,
        through=best,
        pending=pending,
        n_grid=31,
        one_d=[],
        two_d=[("max_temperature", "dwell_time")],
    )["two_d"][("max_temperature", "dwell_time")]
    z = np.array(acq["z"], dtype=float)  # indexed [y, x]
    assert np.unravel_index(np.argmax(z), z.shape) == np.unravel_index(
        np.argmax(s["acquisition"]), s["acquisition"].shape
    )
    np.testing.assert_allclose(z, s["acquisition"] - np.log(1e4), rtol=1e-6)
    # colours span the upper 95% of the acquisition (log EI dips by decades at measured points)
    assert acq["zmin"] == pytest.approx(np.percentile(z, 5)) and acq["zmax"] == z.max()


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("x=pressure", "model page ?x=pressure: campaign 'K-Ba122 SPS' has no parameter "
         "'pressure'; known: ramp_rate, max_temperature, dwell_time"),
        ("x=dwell_time&y=dwel_time", "model page ?y=dwel_time: campaign 'K-Ba122 SPS' has no "
         "parameter 'dwel_time' (did you mean 'dwell_time'?); known: ramp_rate, "),
        ("objective=jc_5T", "model page ?objective=jc_5T: campaign 'K-Ba122 SPS' has no "
         "objective 'jc_5T' (did you mean 'jc_3T'?); known: jc_3T"),
    ],
)  # fmt: skip
def test_model_explorer_refuses_an_unknown_parameter_or_objective_naming_the_known(
    browser_like, query, says
):
    """An unknown x, y or objective was a 200 page with a note where the plots are: a 422 page
    naming the query parameter and the known values, as the other pages refuse a bad value."""
    add_measured_samples(browser_like.store)
    r = browser_like.client.get(f"{CP}/model?{query}")
    assert r.status_code == 422 and says in unescape(r.text), r.text


def test_model_explorer_says_a_map_of_x_against_itself_is_the_1d_slice(browser_like):
    """y chosen equal to x drew the 1D slice without a word (a 2D map was asked for)."""
    add_measured_samples(browser_like.store)
    html = browser_like.client.get(f"{CP}/model/plots?x=dwell_time&y=dwell_time").text
    assert list(figures(html)) == ["model-1d"]
    assert "y is x (dwell_time): the 1D slice is shown; choose another y for a 2D map" in html


def test_the_model_page_is_drawn_without_a_fit_and_names_its_plots(browser_like, monkeypatch):
    """The model page fitted the model before answering (11-14 s at 600 samples, nothing
    shown meanwhile): it answers without a fit, saying on how many samples the model is being
    fitted, and names the address of its plots, whose request fits it."""
    from fluxtrap.web import plots

    fitted = []
    fit = plots.model_figures
    monkeypatch.setattr(plots, "model_figures", lambda *a, **k: fitted.append(a) or fit(*a, **k))
    add_measured_samples(browser_like.store)
    html = browser_like.client.get(f"{CP}/model?x=dwell_time").text
    assert fitted == []
    assert f"fitting the model on {len(SEED_POINTS)} samples…" in html
    src = unescape(re.search(r'<div id="model-plots" data-src="([^"]+)"', html)[1])
    assert src == f"{CP}/model/plots?objective=jc_3T&x=dwell_time"
    assert list(figures(browser_like.client.get(src).text)) == ["model-1d"] and len(fitted) == 1


def test_a_model_fit_that_fails_is_a_500_saying_so(browser_like, monkeypatch):
    """The page shows the plots' error in their place (test_browser): it names the fit and why."""
    from fluxtrap.web import plots

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("Matrix is not positive definite")

    monkeypatch.setattr(plots, "model_figures", broken)
    add_measured_samples(browser_like.store)
    r = browser_like.client.get(f"{CP}/model/plots")
    assert r.status_code == 500, r.text
    said = "fitting the model of jc_3T failed: LinAlgError: Matrix is not positive definite"
    assert f'<p class="error">{said}</p>' in r.text


def test_simulation_form_can_start_from_a_measured_jc(browser_like, loop_file):
    lab = browser_like
    lab.store.add_sample(NAME, "B1", P)
    assert upload(lab, loop_file).status_code == 201
    assert "/simulations?campaign=K-Ba122%20SPS&amp;sample=B1" in lab.client.get(f"{CP}/jc").text
    html = lab.client.get("/simulations?campaign=K-Ba122%20SPS&sample=B1").text
    text = html.split('<textarea name="case" rows="24" spellcheck="false">')[1].split(
        "</textarea>"
    )[0]
    case = parse_case(unescape(text))
    assert case.title == "Single bulk of B1 (K-Ba122 SPS), FCM 2 T at 5 K"
    assert case.protocol[0].temperature_K == 5.0
    jc = case.material("bulk").jc
    assert jc.at(3.0) == pytest.approx(kim_jc(3.0), rel=0.05)  # the uploaded loop's Jc(B), in SI
    r = lab.client.get("/simulations?campaign=K-Ba122%20SPS&sample=B9")
    assert r.status_code == 404


def test_simulation_form_starts_from_the_jc_s_loop_after_an_m_t_curve_was_uploaded(
    browser_like, loop_file, tmp_path
):
    """The form read the temperature of the sample's newest measurement: after an M(T) curve
    (no temperature) the page was a 422 "does not say its temperature"; it is the loop's."""
    from .test_upload import two_phase_mt_file

    lab = browser_like
    lab.store.add_sample(NAME, "B1", P)
    assert upload(lab, loop_file).status_code == 201
    r = lab.client.post(
        f"/api{CP}/samples/B1/measurements",
        headers=auth("alice"),
        data={"kind": "mt_curve"},
        files={"file": ("mt.dat", two_phase_mt_file(tmp_path / "mt.dat").read_bytes())},
    )
    assert r.status_code == 201, r.text
    r = lab.client.get("/simulations?campaign=K-Ba122%20SPS&sample=B1")
    assert r.status_code == 200, r.text
    text = r.text.split('<textarea name="case" rows="24" spellcheck="false">')[1].split(
        "</textarea>"
    )[0]
    assert parse_case(unescape(text)).protocol[0].temperature_K == 5.0


def test_the_simulation_form_of_a_long_emoji_label_gives_a_case_that_parses(
    browser_like, loop_file
):
    """The form's title is built from the label and the campaign name (up to 200 characters
    each); it is cut to the case's 200-character title limit, and an emoji survives as TOML."""
    from urllib.parse import quote

    lab, label = browser_like, "B1 \U0001f9f2 " + "x" * 190
    lab.store.add_sample(NAME, label, P)
    assert upload(lab, loop_file, label=quote(label)).status_code == 201
    html = lab.client.get(f"/simulations?campaign=K-Ba122%20SPS&sample={quote(label)}").text
    text = html.split('<textarea name="case" rows="24" spellcheck="false">')[1].split(
        "</textarea>"
    )[0]
    title = parse_case(unescape(text)).title
    assert (
        len(title) == 200
        and title.startswith("Single bulk of B1 \U0001f9f2 x")
        and title[-1] == "…"
    )


def test_simulation_form_refuses_a_jc_without_a_fully_penetrated_point(browser_like):
    """A loop to 1.3 T of a sample that 2 T fully penetrates (past its own penetration at high
    field, so no minor loop, which is refused at upload): every Jc(B) point is flagged
    unpenetrated, and the form was filled with an empty jc.table that the server refused when
    it was submitted ("fields and Jc values need the same number (>= 1), got 0 and 0")."""
    import io

    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    lab = browser_like
    table = synthetic_mh_loop(
        kim(3e9, 0.6), 1e-3, 2e-3, 0.5e-3, field_max_T=1.3, n_points=141, noise_emu=1e-6
    )
    buf = io.StringIO()
    write_qd_dat(table, buf)
    lab.store.add_sample(NAME, "B1", P)
    assert upload(lab, buf.getvalue().encode()).status_code == 201
    (curve,) = newest_jc(lab.store, NAME).values()
    assert set(curve[1].columns["unpenetrated"]) == {1}
    r = lab.client.get("/simulations?campaign=K-Ba122%20SPS&sample=B1")
    assert r.status_code == 422, r.text[-500:]
    assert "sample &#39;B1&#39;: no point of its Jc(B) is fully penetrated" in r.text


def test_simulation_form_refuses_a_sample_without_jc(browser_like):
    browser_like.store.add_sample(NAME, "B1", P)
    r = browser_like.client.get("/simulations?campaign=K-Ba122%20SPS&sample=B1")
    assert r.status_code == 422 and "has no Jc(B) yet" in r.text


@pytest.mark.parametrize("query", ["campaign=K-Ba122%20SPS", "sample=B1"])
def test_simulation_form_refuses_a_campaign_without_a_sample_or_a_sample_alone(browser_like, query):
    """One of the two was ignored: the form showed the example case as if it were the sample's."""
    r = browser_like.client.get(f"/simulations?{query}")
    assert r.status_code == 422 and "give both campaign and sample" in r.text


def test_probe_traces_of_many_times_and_probes_are_drawn_thinned_and_the_first_fifty():
    """1000 probes over 20 000 time steps made an 80 MB figure and a 508 MB simulation page:
    every k-th time (and the last) of the first MAX_PROBE_TRACES probes is drawn, the title
    saying how many there are."""
    import pandas as pd

    from fluxtrap.web.plots import MAX_PLOTTED, MAX_PROBE_TRACES, probes_figure

    t = np.linspace(0.0, 100.0, 20_001)
    columns = {"time_s": t, "applied_T": 0.01 * t}
    columns |= {f"p{i}_Bz_T": np.sin(t + i) for i in range(60)}
    fig = probes_figure(pd.DataFrame(columns))
    applied, *traces = fig["data"]
    assert [x["name"] for x in traces] == [f"p{i}" for i in range(MAX_PROBE_TRACES)]
    assert 0.9 * MAX_PLOTTED < len(applied["x"]) <= MAX_PLOTTED and applied["x"][-1] == 100.0
    np.testing.assert_allclose(traces[7]["y"], np.sin(np.asarray(traces[7]["x"]) + 7), atol=1e-12)
    assert fig["layout"]["title"]["text"].endswith("(the first 50 of 60; all in probes.csv)")


def test_a_jc_curve_of_many_points_is_drawn_with_at_most_max_plotted():
    """A 190 000-point loop's 95 000 Jc points per sample made the comparison page 28 MB: every
    k-th point is drawn, the curve's ends and its flags kept."""
    from fluxtrap.web.plots import MAX_PLOTTED, jc_figure

    b = np.linspace(0.0, 7.0, 95_001)
    jc = 1e9 / (1 + b)
    flags = (b < 0.05).astype(float)
    fig = jc_figure({"B1": {"B_T": b.tolist(), "Jc_A_m2": jc.tolist(), "Jc_err_A_m2":
                            (0.01 * jc).tolist(), "unpenetrated": flags.tolist()}})  # fmt: skip
    band, line, faint = fig["data"]
    assert 0.9 * MAX_PLOTTED < len(line["x"]) + len(faint["x"]) <= MAX_PLOTTED
    assert len(band["x"]) == 2 * len(line["x"])
    assert line["x"][-1] == 7.0 and faint["x"][0] == 0.0 and max(faint["x"]) < 0.05
    np.testing.assert_allclose(line["y"], 1e5 / (1 + np.asarray(line["x"])), rtol=1e-12)


def test_a_run_of_many_protocol_steps_draws_a_bounded_number_of_maps(monkeypatch):
    """A protocol of 300 steps drew a J/B map at each step's end: 303 figures, 35 MB of one
    simulation page (10 000 steps are allowed). At most MAX_MAPS are drawn, evenly spread from
    the first to the last, the first map's title saying how many there are."""
    from types import SimpleNamespace

    from fluxtrap.web import plots
    from fluxtrap.workflows import simulations

    monkeypatch.setattr(simulations, "map_data", lambda result, s: {"time_s": s.time_s})
    monkeypatch.setattr(
        plots, "map_figure", lambda data: {"layout": {"title": {"text": f"t = {data['time_s']}"}}}
    )
    snaps = [SimpleNamespace(time_s=float(i)) for i in range(304)]  # the initial state first
    figs = plots.maps_figures(simulations.stored_maps(SimpleNamespace(snapshots=snaps)))
    maps = [figs[k]["layout"]["title"]["text"] for k in figs]
    assert len(maps) == simulations.MAX_MAPS == 50
    assert maps[0] == "t = 1.0 (maps at 50 of the run's 303 times, evenly spread)"
    times = [float(t.split()[2]) for t in maps]
    assert times[-1] == 303.0 and np.all(np.diff(times) >= 6)  # 302 / 49 = 6.2 apart
    few = plots.maps_figures(simulations.stored_maps(SimpleNamespace(snapshots=snaps[:4])))
    assert [fig["layout"]["title"]["text"] for fig in few.values()] == [
        "t = 1.0", "t = 2.0", "t = 3.0",
    ]  # fmt: skip


def test_progress_draws_the_best_known_to_meet_the_outcome_constraints(browser_like):
    """tc >= 36 K: the best-so-far line had climbed to a sample with Tc 30 K (and to one whose
    Tc is not measured yet); it stays at the best sample meeting it, drawn as every sample is,
    and the title says how many were left out and why."""
    from fluxtrap.campaign import CampaignSpec

    lab = browser_like
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign_constrained.toml")
    lab.store.create_campaign(spec)
    q = P | {"atmosphere": "Ar"}
    for i, (jc, tc) in enumerate([(2e8, 37.0), (9e8, 30.0), (2.5e8, 38.0), (8e8, None)]):
        values = {"jc_3T": jc} | ({"tc": tc} if tc else {})
        lab.store.add_sample(spec.name, f"S{i}", q | {"dwell_time": i}, objectives=values)
    html = lab.client.get("/campaigns/" + spec.name.replace(" ", "%20")).text
    fig = figures(html)["progress-jc_3T"]
    lines = {t["name"]: t["y"] for t in fig["data"]}
    assert lines["best so far (all)"] == [20000, 20000, 25000, 25000]  # A/cm^2
    assert lines["researcher samples"] == [20000, 90000, 25000, 80000]  # every sample drawn
    assert fig["layout"]["title"]["text"] == (
        "jc_3T: maximize; best among samples meeting the outcome constraints "
        "(1 does not, 1 awaits tc)"
    )


def test_the_jc_page_reads_again_at_most_max_bytes_drawn_of_stored_files(
    browser_like, loop_file, monkeypatch
):
    """Each view of a sample's Jc(B) page read its newest 20 stored files again, whatever their
    size: 20 uploads of 48 MB (a 48 MB .dat reads in ~3 s) were a minute of the server per view
    by any reader. Files are read newest first while their sizes add up to MAX_BYTES_DRAWN; the
    rest are figures saying so, with the size."""
    from fluxtrap.web import jcdata

    lab = browser_like
    lab.store.add_sample(NAME, "B1", P)
    sent = [
        upload(lab, loop_file + b"\n" * i, filename=f"B1_MH_5K_{i}.dat", replace="true")
        for i in range(2)
    ]
    assert [r.status_code for r in sent] == [201, 201], sent[-1].text
    older, newer = (r.json()["measurement"] for r in sent)
    monkeypatch.setattr(jcdata, "MAX_BYTES_DRAWN", int(1.5 * len(loop_file)))
    drawn = figures(lab.client.get(f"{CP}/jc?sample=B1").text)
    assert drawn[f"loop-{newer['id']}"]["data"]  # the newest, within the budget
    note = drawn[f"loop-{older['id']}"]
    assert (
        not note["data"]
        and f"not drawn: {len(loop_file) / 2**20:.3g} MiB" in (note["layout"]["title"]["text"])
    )


def test_a_sample_s_jc_page_draws_its_stored_m_h_loops_and_m_t_sweeps(
    browser_like, loop_file, tmp_path, monkeypatch
):
    """A sample's Jc(B) page showed the curve but not the M(H) loop it came from, nor its M(T)
    sweep. The asked samples' stored files are now drawn from their bytes: the loop's moment
    against mu0 H by branch, thinned to at most MAX_PLOTTED points in all (ends kept), with the
    loop's temperature in the title; an M(T) file's sweeps with its stored Tc marked."""
    from fluxtrap.units import value_text
    from fluxtrap.web import plots

    from ..test_magnetometry_cli import transition_mt_file
    from .test_upload import tc_campaign, upload_mt

    monkeypatch.setattr(plots, "MAX_PLOTTED", 60)
    monkeypatch.setattr(plots, "MAX_BRANCHES", 5)
    lab = browser_like
    lab.store.add_sample(NAME, "B1", P)
    meas = upload(lab, loop_file).json()["measurement"]
    html = lab.client.get(f"{CP}/jc?sample=B1").text
    fig = figures(html)[f"loop-{meas['id']}"]
    assert (
        "5 K" in fig["layout"]["title"]["text"] and "B1_MH_5K.dat" in fig["layout"]["title"]["text"]
    )
    assert fig["layout"]["xaxis"]["title"]["text"] == "μ<sub>0</sub>H [T]"
    assert fig["layout"]["yaxis"]["title"]["text"] == "m [A·m²]"
    names = [t["name"] for t in fig["data"]]
    assert {"decreasing", "increasing"} <= set(names)
    assert len({json.dumps(t["line"], sort_keys=True) for t in fig["data"]}) == len(names)
    assert 10 < sum(len(t["x"]) for t in fig["data"]) <= 60
    from fluxtrap.magnetometry.loops import split_branches
    from fluxtrap.magnetometry.readers import read

    branches = split_branches(read(loop_file, filename="B1_MH_5K.dat"))
    for b, t in zip(branches, fig["data"], strict=True):  # each branch's ends, in SI
        assert t["x"][0] == b.field_T[0] and t["x"][-1] == b.field_T[-1]
        assert t["y"][-1] == pytest.approx(b.moment_Am2[-1])
    assert 'id="measured-files"' not in lab.client.get(f"{CP}/jc").text  # no sample asked

    tc_campaign(lab)
    r = upload_mt(lab, "T1_MT.dat", transition_mt_file(tmp_path).read_bytes())
    assert r.status_code == 201, r.text
    fits = [c["settings"] for c in r.json()["curves"]]
    html = lab.client.get("/campaigns/tc/jc?sample=T1").text
    assert "No measured sample yet" not in html  # its M(T) file is drawn
    fig = figures(html)[f"mt-{r.json()['measurement']['id']}"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "T [K]"
    assert [t["name"] for t in fig["data"]] == [f["sweep"] for f in fits]
    assert [(x["x0"], x["x1"]) for x in fig["layout"]["shapes"]] == [(f["tc_K"],) * 2 for f in fits]
    for fit, said in zip(fits, fig["layout"]["annotations"], strict=True):
        assert said["text"] == f"Tc {value_text(fit['tc_K'], fit['tc_err_K'])} K ({fit['sweep']})"
