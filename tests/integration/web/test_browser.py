"""The dashboard in real headless Chromium (Debian's, driven by Playwright): a user logs in with a
token, records a sample, uploads an MPMS3 file, sees the Jc(B) plot, asks for two suggestions and
sees them on the model explorer. Screenshots of each page go to ``test-artifacts/``."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from fluxtrap.web.pages import EXAMPLE_CASE

from ...conftest import CHROMIUM, needs_chromium
from .conftest import NAME, SEED_POINTS, TOKENS, add_measured_samples, make_store, serve

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    store = make_store(f"sqlite:///{tmp_path / 'lab.db'}")
    with serve(store) as url:
        context = browser.new_context(base_url=url, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.store, page.errors, page.base = store, errors, url
        yield page
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_login_upload_see_jc_ask_two_suggestions(page, loop_file, tmp_path):
    add_measured_samples(page.store)  # five earlier researcher samples (SYNTHETIC values)
    page.goto("/campaigns/K-Ba122%20SPS")
    page.wait_for_url("**/login?next=*")
    page.fill("#token", "not-a-token")
    page.click("#login-form button")
    page.wait_for_selector("#login-error")
    assert "not known" in page.inner_text("#login-error")
    shot(page, "01-login")
    page.errors.clear()  # the browser logs the refused token's 401

    page.fill("#token", TOKENS["alice"])
    page.click("#login-form button")
    page.wait_for_url("**/campaigns/K-Ba122%20SPS")
    assert "alice (writer)" in page.inner_text("header")

    page.fill("#sample-form [name=label]", "B1")
    page.fill("#sample-form [name='param:ramp_rate']", "50")
    page.fill("#sample-form [name='param:max_temperature']", "600")
    page.fill("#sample-form [name='param:dwell_time']", "5")
    page.click("#sample-form button")
    page.wait_for_selector("table[data-origin=researcher] >> text=B1")
    assert page.store.sample(NAME, "B1").recorded_by == "alice"

    f = tmp_path / "B1_MH_5K.dat"
    f.write_bytes(loop_file)
    page.fill("#upload-form [name=label]", "B1")
    page.set_input_files("#upload-form [name=file]", str(f))
    page.fill("#upload-form [name=a]", "1 mm")
    page.fill("#upload-form [name=b]", "2 mm")
    page.fill("#upload-form [name=c]", "0.5 mm")
    shot(page, "02-overview-before-upload")
    page.click("#upload-form button")
    page.wait_for_url("**/jc?sample=B1")
    page.wait_for_selector("#jc .main-svg")
    traces = page.evaluate(
        "document.getElementById('jc').data.map(t => [t.legendgroup, t.x.length, t.visible])"
    )
    assert traces[0][0] == "B1" and traces[0][1] > 20 and traces[0][2] is True
    # the loop file says it is SYNTHETIC: the notice and the page say so (it looked measured)
    assert page.inner_text("#message").startswith("stored B1_MH_5K.dat (SYNTHETIC: its header")
    assert page.inner_text("#jc-select label:has(input[value=B1]) .synthetic") == "SYNTHETIC"
    shot(page, "03-jc")
    assert "jc_3T" in page.store.sample(NAME, "B1").objectives

    page.goto("/campaigns/K-Ba122%20SPS")
    page.wait_for_selector("#progress-jc_3T .main-svg")
    shot(page, "04-overview")

    page.click("text=Model & suggestions")
    page.wait_for_selector("#model-1d .main-svg")
    page.fill("#suggest-form [name=n]", "2")
    page.click("#suggest-form button")
    page.wait_for_selector("#suggestion-table tbody tr:nth-child(2)")
    page.wait_for_selector("#model-1d .main-svg")
    opened = page.store.suggestions(NAME, "open")
    assert len(opened) == 2 and {s.created_by for s in opened} == {"alice"}
    assert isinstance(opened[0].seed, int)  # none given: the server chose one and recorded it
    stars = page.evaluate(
        "document.getElementById('model-1d').data.find(t => t.name === 'next suggestions').x"
    )
    assert sorted(stars) == sorted(s.params["ramp_rate"] for s in opened)
    shot(page, "05-model-1d")
    page.select_option("#slice-form [name=x]", "max_temperature")
    page.select_option("#slice-form [name=y]", "dwell_time")
    page.click("#slice-form button")
    page.wait_for_selector("#model-2d .main-svg")
    shot(page, "06-model-2d")
    assert page.errors == []


def test_the_session_cookie_is_out_of_reach_of_scripts_and_other_sites(page):
    """After logging in, the session is in an HttpOnly, SameSite=Strict cookie only, which holds
    its id, not the token: no script on the page can read it, nothing is in localStorage, and a
    write that does not carry the page's CSRF token is refused even though the browser sends the
    cookie."""
    page.goto("/login?next=/%5Cevil.example")
    page.fill("#token", TOKENS["alice"])
    page.click("#login-form button")
    page.wait_for_url(page.base + "/")  # stayed on this site
    (cookie,) = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == (
        "fluxtrap_session", True, "Strict",
    )  # fmt: skip
    assert cookie["value"] != TOKENS["alice"]
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("localStorage.length") == 0
    assert TOKENS["alice"] not in page.content()
    status = page.evaluate(
        """async () => (await fetch("/api/campaigns/K-Ba122%20SPS/samples", {method: "POST",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({label: "X1", params: {ramp_rate: 50, max_temperature: 600,
            dwell_time: 5}})})).status"""
    )
    assert status == 403 and page.store.samples(NAME) == []
    page.errors.clear()  # the browser logs the refused write
    page.click("#logout")
    page.wait_for_url("**/login")
    assert page.context.cookies() == [] and page.store.session_count("alice") == 0
    assert page.errors == []


def login(page, user: str) -> None:
    page.goto("/login")
    page.fill("#token", TOKENS[user])
    page.click("#login-form button")
    page.wait_for_url("**/")


def test_submit_simulation_and_see_probes_and_maps(page):
    login(page, "bob")
    assert "K-Ba122 SPS" in page.inner_text("table")
    shot(page, "00-campaigns")
    page.click("header >> text=Simulations")
    page.click("#simulation-form button")  # the example case the form is filled with
    page.wait_for_url("**/jobs/1")  # the job's page reloads until done, then goes to its simulation
    page.wait_for_url("**/simulations/1", timeout=60_000)
    page.wait_for_selector("#probes .main-svg")
    page.wait_for_selector("#map-1 .main-svg")
    last = page.text_content("#map-1 .gtitle")
    page.select_option("#map-time", "0")  # the first map, fetched on demand
    page.wait_for_function(
        "t => document.querySelector('#map-1 .gtitle').textContent != t", arg=last
    )
    assert "done" in page.inner_text("strong.status-done")
    shot(page, "07-simulation")
    page.goto("/simulations")
    assert "bob" in page.inner_text("table")
    shot(page, "08-simulations")
    assert page.errors == []


MIXED = {
    "name": "Mixed",
    "parameters": [
        {"name": "t", "unit": "degC", "low": 450, "high": 750, "step": 1},
        {"name": "gas", "choices": ["Ar", "vacuum"]},
        {"name": "die", "unit": "mm", "choices": [10, 20]},
        {"name": "p", "unit": "MPa", "fixed": 50},
    ],
    "objectives": [{"name": "y"}],
}


def test_record_a_sample_with_categorical_and_fixed_parameters(page):
    """The record-a-sample form of a campaign with a numeric, two categorical (text and number
    choices) and a fixed parameter: a select of the allowed values for each categorical one, the
    fixed one shown and not editable, units and ranges in the labels; an open suggestion fills
    the form in; what is stored is what was chosen, the fixed value filled in by the server."""
    from fluxtrap.campaign import CampaignSpec

    page.store.create_campaign(CampaignSpec.from_dict(MIXED))
    (sug,) = page.store.add_suggestions(
        "Mixed", [{"t": 640, "gas": "vacuum", "die": 10, "p": 50}], [0.3], {"model": "test"}, 1
    )
    login(page, "alice")
    page.goto("/campaigns/Mixed")
    form = "#sample-form"
    labels = page.locator(f"{form} label").all_inner_texts()
    assert "t [degC], 450 to 750 in steps of 1" in [x.strip() for x in labels]
    assert "p [MPa], fixed by the campaign" in [x.strip() for x in labels]
    fixed = page.locator(f"{form} [name='param:p']")
    assert fixed.is_disabled() and fixed.input_value() == "50"
    for name, choices in (("gas", ["Ar", "vacuum"]), ("die", ["10", "20"])):
        options = page.locator(f"{form} select[name='param:{name}'] option:not([disabled])")
        assert options.evaluate_all("os => os.map(o => o.value)") == choices
    shot(page, "09-mixed-form")

    page.select_option(f"{form} [name=suggestion_id]", str(sug.id))  # fills its values in
    assert page.input_value(f"{form} [name='param:t']") == "640"
    assert page.input_value(f"{form} [name='param:gas']") == "vacuum"
    page.select_option(f"{form} [name=suggestion_id]", "")
    page.fill(f"{form} [name=label]", "M1")
    page.fill(f"{form} [name='param:t']", "600")
    page.select_option(f"{form} [name='param:gas']", "Ar")
    page.select_option(f"{form} [name='param:die']", "20")
    page.click(f"{form} button")
    page.wait_for_selector("table[data-origin=researcher] >> text=M1")
    stored = page.store.sample("Mixed", "M1")
    assert stored.params == {"t": 600.0, "gas": "Ar", "die": 20, "p": 50.0}
    assert stored.recorded_by == "alice" and stored.suggestion_id is None
    # made from the suggestion, 1 degC hotter: stored as made, the page says where it departs
    page.select_option(f"{form} [name=suggestion_id]", str(sug.id))
    page.fill(f"{form} [name=label]", "M2")
    page.fill(f"{form} [name='param:t']", "641")
    page.click(f"{form} button")
    page.wait_for_selector("table[data-origin=optimizer] >> text=M2")
    assert page.locator("#message.warn").inner_text() == (
        f"sample M2 departs from suggestion {sug.id}: t 641 degC, suggested 640 degC (+1 degC)"
    )
    assert page.store.sample("Mixed", "M2").params["t"] == 641.0
    assert page.errors == []


def test_markup_in_a_label_is_shown_as_typed_in_the_figures(page, loop_file):
    """Plotly reads tags in legend names, titles and hover text: a sample labelled like this
    was drawn as a 60 px link in the Jc(B) legend and the model page's title."""
    from fluxtrap.workflows.measurements import record_measurement

    label = '<a href=mailto:it@evil.example style="font-size:60px">LOG IN AGAIN'
    add_measured_samples(page.store)
    best = {"ramp_rate": 40, "max_temperature": 620, "dwell_time": 20}
    page.store.add_sample(NAME, label, best, objectives={"jc_3T": 9e8})
    record_measurement(
        page.store, NAME, label, "B.dat", loop_file, (1e-3, 2e-3, 0.5e-3), replace=True
    )
    login(page, "rita")
    for path, where in (("jc", "#jc .legend"), ("model", "#model-1d .gtitle")):
        page.goto(f"/campaigns/K-Ba122%20SPS/{path}")
        page.wait_for_selector(f"{where}")
        assert page.locator("svg a").count() == 0, path
        assert label in page.locator(where).first.text_content(), path
    assert page.errors == []


def test_an_mt_curve_is_uploaded_without_edges(page, tmp_path):
    """The upload form's kind M(T) hides and disables the loop's edges (required for a loop):
    the file is sent without them and the page returns to the campaign."""
    from ..test_magnetometry_cli import transition_mt_file

    page.store.add_sample(NAME, "B1", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
    page.goto("/login")
    page.fill("#token", TOKENS["alice"])
    page.click("#login-form button")
    page.wait_for_url("**/")
    page.goto("/campaigns/K-Ba122%20SPS")
    page.fill("#upload-form [name=label]", "B1")
    page.select_option("#upload-form [name=kind]", "mt_curve")
    assert not page.is_visible("#upload-form [name=a]")
    page.set_input_files("#upload-form [name=file]", str(transition_mt_file(tmp_path)))
    with page.expect_navigation(url="**/campaigns/K-Ba122%20SPS"):
        page.click("#upload-form button")
    (m,) = page.store.measurements(NAME, "B1", with_content=False)
    assert m.kind == "mt_curve" and m.filename == "mt.dat"
    page.select_option("#upload-form [name=kind]", "mh_loop")
    assert page.is_visible("#upload-form [name=a]")
    assert page.errors == []


def test_a_discs_loop_is_uploaded_with_its_shape_diameter_and_thickness(page, tmp_path):
    """The API took a cylinder's shape, diameter and thickness; the form had only a bar's a, b,
    c: a disc could be sent from the browser only as a D x D x c bar (Jc 21 % low). Its shape
    select now shows the cylinder's two fields in place of the bar's three (the hidden ones are
    not sent); a thickness in a wrong unit is refused naming the field; the disc's Jc(3 T) lands
    within 5 % of the generator's Kim truth and its shape is stored."""
    import io

    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    truth = kim(1e9, 1.0)
    table = synthetic_mh_loop(truth, 2e-3, 2e-3, 0.5e-3, shape="cylinder", n_points=81)
    buf = io.StringIO()
    write_qd_dat(table, buf)
    f = tmp_path / "disc.dat"
    f.write_text(buf.getvalue())
    page.store.add_sample(NAME, "B1", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS")
    form = "#upload-form"
    assert page.is_visible(f"{form} [name=a]") and not page.is_visible(f"{form} [name=diameter]")
    page.select_option(f"{form} [name=shape]", "cylinder")
    assert not page.is_visible(f"{form} [name=a]") and page.is_visible(f"{form} [name=diameter]")
    page.fill(f"{form} [name=label]", "B1")
    page.set_input_files(f"{form} [name=file]", str(f))
    page.fill(f"{form} [name=diameter]", "2 mm")
    page.fill(f"{form} [name=thickness]", "0.5 kg")
    page.click(f"{form} button")
    page.wait_for_selector("#message.error >> text=form field thickness")
    assert "length" in page.inner_text("#message")
    page.errors.clear()  # the refusal's 422
    page.fill(f"{form} [name=thickness]", "0.5 mm")
    with page.expect_navigation(url="**/jc?sample=B1"):
        page.click(f"{form} button")
    (m,) = page.store.measurements(NAME, "B1", with_content=False)
    assert m.metadata["sample_shape"] == "cylinder"
    b1 = page.store.sample(NAME, "B1")
    jc_3t = b1.objectives["jc_3T"]
    assert jc_3t == pytest.approx(truth(3.0), rel=0.05)
    # said with its 1-sigma in the tables' unit (it was "jc_3T = 2.435e+9 (SI)", no error bar)
    said = re.search(r": jc_3T = ([\d,.]+) ± ([\d,.]+) A/cm²$", page.inner_text("#message"))
    value, err = (float(x.replace(",", "")) for x in said.groups())
    assert value == pytest.approx(jc_3t * 1e-4, rel=1e-3)
    assert err == pytest.approx(b1.objective_errors["jc_3T"] * 1e-4, rel=0.05)  # 2 digits
    assert page.errors == []


def test_a_second_loop_replaces_the_samples_jc_only_when_asked(page, loop_file, tmp_path):
    """A second loop of B1 replaced its jc_3T without a word; the form now has a box to
    replace, and without it the upload is refused, naming both values, nothing stored."""
    page.store.add_sample(NAME, "B1", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
    login(page, "alice")
    f = tmp_path / "B1_MH_5K.dat"
    f.write_bytes(loop_file)
    for edge_a, replace, stored in (("1 mm", False, 1), ("1.1 mm", False, 1), ("1.1 mm", True, 2)):
        page.goto("/campaigns/K-Ba122%20SPS")
        page.fill("#upload-form [name=label]", "B1")
        page.set_input_files("#upload-form [name=file]", str(f))
        page.fill("#upload-form [name=a]", edge_a)
        page.fill("#upload-form [name=b]", "2 mm")
        page.fill("#upload-form [name=c]", "0.5 mm")
        if replace:
            page.check("#upload-form [name=replace]")
        page.click("#upload-form button")
        if stored > 1 or edge_a == "1 mm":
            page.wait_for_url("**/jc?sample=B1")
        else:  # B1 has a jc_3T: refused, naming both values
            page.wait_for_selector("#message >> text=already has")
            said = page.locator("#message").text_content()
            assert "jc_3T" in said and "ask to replace it" in said
        assert len(page.store.measurements(NAME, "B1", with_content=False)) == stored
    assert len(page.store.measurements(NAME, "B1", with_content=False)) == 2
    assert all("status of 422" in e for e in page.errors)  # the refusal, nothing else


def test_a_second_transition_is_said_after_an_mt_upload(page, tmp_path):
    """The form returned to the campaign page without a word of the Tc fit's warning (a minority
    phase's step the one-step fit misses); it now says it at once and the page lists it, the file's
    name shown as typed, never as markup."""
    from .test_upload import two_phase_mt_file

    page.store.add_sample(NAME, "B1", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS")
    page.fill("#upload-form [name=label]", "B1")
    page.select_option("#upload-form [name=kind]", "mt_curve")
    name = "<img src=x onerror=alert(1)>.dat"
    page.set_input_files("#upload-form [name=file]", str(two_phase_mt_file(tmp_path / name)))
    with page.expect_navigation(url="**/campaigns/K-Ba122%20SPS"):
        page.click("#upload-form button")
    page.wait_for_selector("#tc-notes")
    message = page.locator("#message").text_content()
    synthetic = "(SYNTHETIC: its header says it was generated, not measured)"  # the test file's
    assert message.startswith(f"stored {name} {synthetic} for B1; warning: {name}: sweep: ")
    assert "second transition" in message
    note, read = page.locator("#tc-notes li").all_text_contents()
    assert note.startswith(f"B1: {name}: sweep: ") and "second transition" in note
    assert note.endswith("Tc is read off the data, these points included")
    assert read.startswith(f"B1: {name}: sweep: ") and "read off the data" in read
    assert page.locator("main img").count() == 0
    shot(page, "07-mt-upload-second-transition")
    assert page.errors == []


def test_a_sample_recorded_past_the_first_page_is_shown_and_a_refusal_is_in_view(page):
    """On a campaign of more samples than a page (five, two a page here; 600, 500 a page in the
    lab), the form below the tables said its refusal 16 600 px above the view, and a recorded
    sample reloaded the first page without it or a word; now the refusal is scrolled into view
    and the recorded sample's page is shown, the sample in the upload form's list. The focus
    stays on the form's button (it fell to the page's start: a keyboard user tabbed back down)."""
    add_measured_samples(page.store)  # R1..R5
    page.set_viewport_size({"width": 1000, "height": 500})
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS?limit=2")
    form = "#sample-form"
    page.fill(f"{form} [name=label]", "R1")  # taken
    page.fill(f"{form} [name='param:ramp_rate']", "50")
    page.fill(f"{form} [name='param:max_temperature']", "600")
    page.fill(f"{form} [name='param:dwell_time']", "5")
    page.focus(f"{form} button")
    page.keyboard.press("Enter")  # from the keyboard: the focus stays on the button
    page.wait_for_selector("#message.error >> text=already used")
    assert page.evaluate("document.activeElement.textContent") == "Add sample"
    top, bottom = page.locator("#message").evaluate(
        "e => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom]"
    )
    assert top > -1 and bottom < 501, (top, bottom)  # in the 500 px high view (subpixels)
    page.errors.clear()  # the refusal's 409

    page.fill(f"{form} [name=label]", "N6")
    page.click(f"{form} button")
    page.wait_for_selector("#message.ok >> text=recorded sample N6")
    assert page.url.endswith("/campaigns/K-Ba122%20SPS?limit=2&offset=4")
    assert page.locator("table[data-origin=researcher] td", has_text="N6").count() == 1
    upload = page.locator("#upload-labels option").evaluate_all("os => os.map(o => o.value)")
    assert upload == ["R5", "N6"]
    assert page.errors == []


def test_a_measurement_is_uploaded_for_a_sample_not_on_the_page_shown(page, tmp_path):
    """The upload form's sample picker listed only the samples of the page shown (R1, R2 of
    five, two a page here; 500 of 600 in the lab): a file of R5 could not be uploaded from page
    one. The picker now offers, as the user types, any of the campaign's labels (from
    /api/.../labels), and the real MPMS3 file (the CoCp2 magnet's loop, stored as forced,
    replacing R5's value) goes to R5; a label the campaign lacks is refused naming it, nothing stored."""
    from ...conftest import DATA

    add_measured_samples(page.store)  # R1..R5
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS?limit=2")
    assert page.locator("table.samples td", has_text="R5").count() == 0  # not on this page
    picker = "#upload-form [name=label]"
    offered = "#upload-labels option"
    page.fill(picker, "r")  # ASCII letters in either case
    expect(page.locator(offered)).to_have_count(5)
    assert page.locator(offered).evaluate_all("os => os.map(o => o.value)") == [
        "R5", "R4", "R3", "R2", "R1",
    ]  # fmt: skip
    page.fill(picker, "5")
    expect(page.locator(offered)).to_have_count(1)
    assert page.locator(offered).get_attribute("value") == "R5"

    real = DATA / "mpms" / "mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat"
    page.fill(picker, "R9")  # no such sample: refused naming it
    page.set_input_files("#upload-form [name=file]", str(real))
    page.fill("#upload-form [name=a]", "1 mm")
    page.fill("#upload-form [name=b]", "2 mm")
    page.fill("#upload-form [name=c]", "0.5 mm")
    page.check("#upload-form [name=force]")
    page.click("#upload-form button")
    page.wait_for_selector("#message.error")
    assert "404: campaign 'K-Ba122 SPS' has no sample labelled 'R9'" in page.inner_text("#message")
    assert page.store.measurements(NAME, with_content=False) == []
    page.errors.clear()  # the refusal's 404

    page.fill(picker, "R5")
    page.check("#upload-form [name=replace]")  # R5 has a SYNTHETIC jc_3T
    with page.expect_navigation(url="**/jc?sample=R5"):
        page.click("#upload-form button")
    (m,) = page.store.measurements(NAME, with_content=False)
    assert (m.sample, m.filename, m.recorded_by) == ("R5", real.name, "alice")
    assert page.errors == []


def test_the_upload_form_picks_a_loop_of_a_multi_temperature_file_and_says_which(page):
    """The real KMK282 file holds loops at 5 K and 300 K. The API took a loop temperature, the
    form had no field for it: only the coldest loop could be analysed from the browser, and the
    page it went to did not say which (its "stored ..." message went with the page it left)."""
    from ...conftest import DATA

    page.store.add_sample(NAME, "B1", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS")
    real = DATA / "mpms" / "mpms3_dc_mh_KMK282_5K-300K_tabsep.dat"
    form = "#upload-form"
    page.fill(f"{form} [name=label]", "B1")
    page.set_input_files(f"{form} [name=file]", str(real))
    for name, value in (("a", "1 mm"), ("b", "2 mm"), ("c", "0.5 mm")):
        page.fill(f"{form} [name={name}]", value)
    page.check(f"{form} [name=force]")  # a magnet's loop, not a superconductor's
    for temperature, says in (
        ("77 K", "no loop at 77 K; loops at 5.004 K, 300 K"),
        ("300 K", "no irreversible magnetization"),  # the 300 K loop was read, not the 5 K one
    ):
        page.fill(f"{form} [name=temperature]", temperature)
        page.click(f"{form} button")
        page.wait_for_selector(f"#message.error >> text={says}")
    assert page.store.measurements(NAME, with_content=False) == []
    page.errors.clear()  # the refusals' 422s

    page.fill(f"{form} [name=temperature]", "")  # the coldest loop
    with page.expect_navigation(url="**/jc?sample=B1"):
        page.click(f"{form} button")
    assert page.inner_text("#message").startswith(
        f"stored {real.name} for B1 (the loop at 5.004 K)"
    )
    assert "B1 (5.004 K)" in page.inner_text("#jc-select")
    (m,) = page.store.measurements(NAME, with_content=False)
    assert m.temperature_K == pytest.approx(5.004, abs=1e-3)
    assert page.errors == []


def test_page_links_of_a_campaign_named_with_hash_and_percent_lead_to_its_pages(page):
    """The pager's links quoted the path Starlette gives, which keeps "#" and "?" encoded:
    "50% Ba#1?x"'s next page was /campaigns/50%25%20Ba%25231%253Fx, a 404 (the test client
    decodes it twice and showed the page). So were the API's Link headers and the login's
    way back."""
    import httpx

    from fluxtrap.campaign import CampaignSpec

    name = "50% Ba#1?x"
    page.store.create_campaign(CampaignSpec.from_dict(page.store.campaign(NAME).to_dict()
                                                      | {"name": name}))  # fmt: skip
    for label in ("S1", "S2", "S3"):
        page.store.add_sample(name, label, {"ramp_rate": 50, "max_temperature": 600,
                                            "dwell_time": 5})  # fmt: skip
    where = "/campaigns/50%25%20Ba%231%3Fx"
    page.goto(f"{where}?limit=2")  # not logged in: to the login page and back
    page.fill("#token", TOKENS["alice"])
    page.click("#login-form button")
    page.wait_for_url(f"**{where}?limit=2")
    page.click("#next-samples")
    page.wait_for_url(f"**{where}?limit=2&offset=2")
    assert page.locator("h1").inner_text() == name
    assert page.locator("table.samples td", has_text="S3").count() == 1
    api = f"{page.base}/api/campaigns/50%25%20Ba%231%3Fx/samples?limit=2"
    r = httpx.get(api, headers={"Authorization": f"Bearer {TOKENS['rita']}"})
    assert r.links["next"]["url"] == "/api/campaigns/50%25%20Ba%231%3Fx/samples?limit=2&offset=2"
    assert page.errors == []


UNLABELLED = """() => [...document.querySelectorAll(
  "input:not([type=hidden]), select, textarea, button")].filter((e) => !(
  [...(e.labels || [])].some((l) => l.textContent.trim()) || e.getAttribute("aria-label")
  || (e.tagName === "BUTTON" && e.textContent.trim()))).map((e) => e.outerHTML.slice(0, 80))"""


# names (of links and buttons) that stand for different actions: a screen reader's list of a
# page's buttons read "discard, discard, ..." (which suggestion?)
SAME_NAME = """() => { const does = {};
  for (const e of document.querySelectorAll("a[href], button")) {
    const name = (e.getAttribute("aria-label") || e.textContent).trim().replace(/\\s+/g, " ");
    const what = e.getAttribute("href") || [e.id, e.form?.id, e.dataset.suggestion, e.dataset.status].join();
    (does[name] ||= new Set()).add(what);
  }
  return Object.keys(does).filter((name) => does[name].size > 1); }"""


def test_every_field_of_every_page_has_a_label(page, loop_file):
    """Each input, select, text area and button of each page a writer sees is named by a label
    (a screen reader read the simulation form's case box as a bare "edit text"), and no two
    links or buttons doing different things share a name (each suggestion's were "discard",
    "abandon", "failed"; each measured sample's link, as the header's, "Jc(B)")."""
    from fluxtrap.workflows.measurements import record_measurement

    add_measured_samples(page.store)
    page.store.add_suggestions(NAME, [{"ramp_rate": r, "max_temperature": 600, "dwell_time": 9}
                                      for r in (40, 60)], [0.1, 0.2], {}, 1)  # fmt: skip
    edges = (1e-3, 2e-3, 0.5e-3)
    record_measurement(page.store, NAME, "R1", "R1.dat", loop_file, edges, replace=True)
    page.goto("/login")
    assert page.evaluate(UNLABELLED) == []
    login(page, "alice")
    campaign = "/campaigns/K-Ba122%20SPS"
    for path in ("/", campaign, f"{campaign}/model", f"{campaign}/jc", "/simulations"):
        page.goto(path)
        assert page.evaluate(UNLABELLED) == [], path
        assert page.evaluate(SAME_NAME) == [], path
    assert page.errors == []


def test_a_suggestion_changed_by_another_user_since_the_page_was_shown_is_not_overwritten(page):
    """Bob marked a suggestion failed, saying why; Alice's page, shown before, still offered to
    discard it, and her click replaced his status and note without a word. Now it is a 409
    saying who changed it, and his status and note stay; a current row still changes."""
    points = [{"ramp_rate": r, "max_temperature": 600, "dwell_time": 9} for r in (30, 60)]
    first, second = page.store.add_suggestions(NAME, points, [0.2, 0.1], {}, 1)
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS/model")
    page.store.set_suggestion_status(first.id, "failed", changed_by="bob", note="cracked")
    page.click(f"button[data-suggestion='{first.id}'][data-status=discarded]")
    page.wait_for_selector("#message.error")
    assert page.inner_text("#message") == (
        f"409: suggestion {first.id} is failed (set by bob since it was shown open): nothing "
        "changed; reload to see it"
    )
    kept = page.store.suggestion(first.id)
    assert (kept.status, kept.status_changed_by, kept.status_note) == ("failed", "bob", "cracked")
    page.errors.clear()  # the 409
    with page.expect_navigation():
        page.click(f"button[data-suggestion='{second.id}'][data-status=discarded]")
    assert page.store.suggestion(second.id).status == "discarded"
    assert page.errors == []


def test_a_sample_status_changed_by_another_user_since_the_page_was_shown_is_not_overwritten(
    page,
):
    """The overview had no sample status buttons (the CLI and the API only, neither sending the
    status seen): Alice marking a sample failed replaced Bob's note without a word. Her page's
    buttons now send the status it showed: Bob's change since is a 409 saying the status it has,
    his note, and who set it and when (stored on every sample since store revision 0013: a
    researcher's own R1 named nobody); his stay, the stale button is disabled, and a current row
    still changes."""
    points = [{"ramp_rate": r, "max_temperature": 600, "dwell_time": 9} for r in (30, 60)]
    sug, _ = page.store.add_suggestions(NAME, points, [0.2, 0.1], {}, 1)
    page.store.add_sample(NAME, "R1", points[1], recorded_by="alice")
    page.store.add_sample(NAME, "O1", points[0], origin="optimizer", suggestion_id=sug.id)
    page.store.add_sample(NAME, "R2", points[1], recorded_by="alice")
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS")
    page.on("dialog", lambda d: d.accept("chipped"))  # the note asked for
    for label in ("R1", "O1"):
        page.store.set_sample_status(NAME, label, "failed", changed_by="bob", note="cracked")
    for label in ("R1", "O1"):
        at = page.store.sample(NAME, label).status_changed_at.astimezone(UTC)
        who = f"set by bob at {at:%Y-%m-%d %H:%M} UTC; "
        button = f"button[data-sample='{label}'][data-status=failed]"
        page.click(button)
        expect(page.locator("#message.error")).to_have_text(
            f"409: sample '{label}' is failed (note 'cracked'; {who}changed since it was shown "
            "made): nothing changed; reload to see it"
        )
        expect(page.locator(button)).to_be_disabled()
        kept = page.store.sample(NAME, label)
        assert (kept.status, kept.status_note) == ("failed", "cracked")
    page.errors.clear()  # the 409s
    with page.expect_navigation():
        page.click("button[data-sample='R2'][data-status=failed]")
    assert (page.store.sample(NAME, "R2").status, page.store.sample(NAME, "R2").status_note) == (
        "failed", "chipped",
    )  # fmt: skip
    with page.expect_navigation():  # and back: made again, from the reloaded page
        page.click("button[data-sample='R2'][data-status=made]")
    assert page.store.sample(NAME, "R2").status == "made"
    assert page.errors == []


GRID_TOML = """name = "grid"
[[parameters]]
name = "T"
unit = "K"
low = 800
high = 903
step = 5
[[objectives]]
name = "tc"
quantity = "tc"
goal = "maximize"
"""


def test_a_campaign_created_from_the_dashboard_says_the_notes_the_cli_prints(page):
    """The dashboard had no way to create a campaign (the CLI or POST /api/campaigns only), and no
    page said what `campaign create` notes: T from 800 to 903 K by 5 never reaches 903. The
    campaigns page's form takes the campaign file; a file with an error is refused naming its
    line, nothing created; a good one opens its page, which says the note."""
    login(page, "alice")
    page.fill("#campaign-form [name=toml]", GRID_TOML.replace("step = 5", "step = 5 K"))
    page.click("#campaign-form button")
    page.wait_for_selector("#message.error")
    said = page.inner_text("#message")
    assert said.startswith("422: campaign file: not valid TOML") and "at line 7" in said, said
    assert [c.name for c in page.store.campaigns()] == [NAME]
    page.errors.clear()  # the 422
    page.fill("#campaign-form [name=toml]", GRID_TOML)
    with page.expect_navigation(url="**/campaigns/grid"):
        page.click("#campaign-form button")
    said = "T: high 903 K is off the step grid 800 + k * 5; the highest settable value is 900 K"
    expect(page.locator("#message.warn")).to_have_text(f"created campaign grid; note: {said}")
    assert page.inner_text("#campaign-note") == f"note: {said}"
    assert page.store.campaign_record("grid").created_by == "alice"
    assert page.errors == []


def test_a_request_the_server_never_answers_is_said_naming_it(page):
    """A form whose request got no answer (server down, network gone) said only the browser's
    "Failed to fetch"."""
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS/model")
    page.route("**/api/**", lambda route: route.abort("connectionrefused"))
    page.click("#suggest-form button")
    page.wait_for_selector("#message.error")
    said = page.inner_text("#message")
    assert said.startswith("no answer from the server to POST /api/campaigns/K-Ba122%20SPS/")
    assert "is it running" in said
    assert [e for e in page.errors if "ERR_CONNECTION_REFUSED" not in e] == []


def test_a_read_only_dashboard_shows_a_writer_no_forms(browser, tmp_path):
    """In Chromium, a writer on a store the server cannot write: the banner, and no form whose
    submit would be a 403 (they were shown: 'Record a sample' answered '403: this server shows
    its store read-only')."""
    from fluxtrap.store import Store

    path = tmp_path / "lab.db"
    make_store(f"sqlite:///{path}").engine.dispose()
    with serve(Store(path, read_only=True)) as url:
        context = browser.new_context(base_url=url)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, "alice")
        for where, form in (
            ("/campaigns/K-Ba122%20SPS", "#sample-form"),
            ("/campaigns/K-Ba122%20SPS", "#upload-form"),
            ("/campaigns/K-Ba122%20SPS/model", "#suggest-form"),
            ("/simulations", "#simulation-form"),
        ):
            page.goto(where)
            expect(page.locator("p.read-only")).to_contain_text("are not shown here")
            expect(page.locator(form)).to_have_count(0)
        shot(page, "read-only-simulations")
        context.close()
    assert errors == []


def test_what_the_model_s_data_warn_of_is_said_after_asking(page):
    """A Jc typed 1e5 x too large steers the suggestions: after asking, the reloaded model page
    says so (the warning had gone to the server's log only), beside the model it steers, once
    (the model's data, as the ask's, hold it)."""
    add_measured_samples(page.store)
    params = {"ramp_rate": 60, "max_temperature": 610, "dwell_time": 20}
    page.store.add_sample(NAME, "TYPO", params, objectives={"jc_3T": 3e13}, recorded_by="bob")
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS/model")
    page.fill("#suggest-form [name=n]", "1")
    with page.expect_navigation():
        page.click("#suggest-form button")
    page.wait_for_selector("#message.warn")
    said = page.inner_text("#message")
    assert said.startswith("warning: objective jc_3T: 1 of 6 values (3e+09 A/cm²) lie more than")
    assert page.inner_text("p.data-note").startswith("objective jc_3T: 1 of 6 values (3e+09")
    assert "when suggestion 1 was asked" not in page.inner_text("#suggestions")
    assert page.errors == []


def test_a_slow_suggestion_says_it_runs_then_its_failure(page):
    """Asking the optimizer fits the model, seconds to minutes: the page showed only a greyed
    button meanwhile. It now says that it runs, and a failure then takes its place."""
    login(page, "alice")
    page.goto("/campaigns/K-Ba122%20SPS/model")
    held = []
    page.route("**/api/campaigns/*/suggestions", lambda route: held.append(route))  # unanswered
    page.click("#suggest-form button")
    page.wait_for_selector("#message.busy", timeout=5000)
    assert page.inner_text("#message").startswith("asking the optimizer: fitting the model")
    assert page.is_disabled("#suggest-form button")
    held[0].fulfill(status=503, json={"detail": "the model fit failed"})
    page.wait_for_selector("#message.error")
    assert page.inner_text("#message") == "503: the model fit failed"
    assert page.is_enabled("#suggest-form button")
    assert [e for e in page.errors if "503" not in e] == []


def test_the_model_page_is_shown_while_the_model_is_fitted_then_its_plots_or_why_not(
    page, monkeypatch
):
    """The model page answered once the model was fitted (11-14 s at 600 samples), with only the
    browser's spinner meanwhile. It is shown at once, its suggestion form usable, saying on how
    many samples the model is being fitted; the plots come when fitted, and a fit that fails
    says why in their place."""
    from fluxtrap.web import plots

    add_measured_samples(page.store)
    login(page, "alice")
    held = []
    page.route("**/model/plots?*", lambda route: held.append(route))  # the fit, unanswered
    page.goto("/campaigns/K-Ba122%20SPS/model")
    busy = page.locator("#model-plots p.busy")
    expect(busy).to_have_text(f"fitting the model on {len(SEED_POINTS)} samples…")
    assert page.is_enabled("#suggest-form button")
    while not held:
        page.wait_for_timeout(50)
    held[0].continue_()
    page.wait_for_selector("#model-1d .main-svg")
    expect(busy).to_have_count(0)
    page.unroute("**/model/plots?*")

    def broken(*args, **kwargs):
        raise RuntimeError("the GP's covariance is not positive definite")

    monkeypatch.setattr(plots, "model_figures", broken)
    page.reload()
    expect(page.locator("#model-plots p.error")).to_have_text(
        "the model could not be drawn: 500: fitting the model of jc_3T failed: RuntimeError: "
        "the GP's covariance is not positive definite"
    )
    assert [e for e in page.errors if "500" not in e] == []


def test_the_jc_axis_spans_the_samples_shown(page, loop_file):
    """The Jc(B) axis was scaled to every drawn sample's Jc: with one of them shown (a sample's
    link, ?sample=) its curve sat squeezed in a corner of decades it does not reach. The axis
    now spans the checked samples' valid Jc, half the lowest to twice the highest."""
    from fluxtrap.workflows.measurements import record_measurement

    for label, edges in (("S1", (1e-3, 2e-3, 0.5e-3)), ("S2", (40e-3, 80e-3, 0.5e-3))):
        page.store.add_sample(NAME, label, {"ramp_rate": 40, "max_temperature": 620,
                                            "dwell_time": 20})  # fmt: skip
        record_measurement(page.store, NAME, label, "B.dat", loop_file, edges)
    login(page, "rita")
    page.goto("/campaigns/K-Ba122%20SPS/jc?sample=S1")
    page.wait_for_selector("#jc .main-svg")
    extents = page.evaluate("document.getElementById('jc').layout.meta.valid_jc")
    assert extents["S1"][0] > 10 * extents["S2"][1]  # Jc ~ 1 / a: decades apart

    def y_range():
        page.wait_for_timeout(200)
        return [10**v for v in page.evaluate("document.getElementById('jc').layout.yaxis.range")]

    assert y_range() == pytest.approx([extents["S1"][0] / 2, extents["S1"][1] * 2])
    page.check("#jc-select input[value=S2]")
    assert y_range() == pytest.approx([extents["S2"][0] / 2, extents["S1"][1] * 2])
    page.uncheck("#jc-select input[value=S1]")
    assert y_range() == pytest.approx([extents["S2"][0] / 2, extents["S2"][1] * 2])
    assert page.errors == []


def test_an_admin_adds_a_user_changes_a_role_and_revokes_on_the_users_page(page):
    """In Chromium: the admin's nav links the users page; a new user's token is shown once with
    a copy button (and is gone after a reload); a role changes; revoking bob says first that it
    cancels his two running jobs; the last admin revoking themselves is refused, saying why."""
    store = page.store
    store.add_user("root", "admin", "root-token-0123456789")
    for title in ("one", "two"):  # run by a server elsewhere: this one's worker leaves them
        store.add_job(title, EXAMPLE_CASE, "bob", per_user=5, total=5)
        store.claim_job("elsewhere:1:0001")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/login")
    page.fill("#token", "root-token-0123456789")
    page.click("#login-form button")
    page.wait_for_url("**/")
    page.click("header nav >> text=Users")
    page.wait_for_url("**/users")
    assert page.evaluate(UNLABELLED) == [] and page.evaluate(SAME_NAME) == []

    page.fill("#user-form [name=name]", "carol <b>")
    page.select_option("#user-form [name=role]", "reader")
    page.click("#user-form button")
    expect(page.locator("#new-token")).to_be_visible()
    token = page.input_value("#new-token-value")
    assert store.user_by_token(token).name == "carol <b>"
    assert page.inner_text("#new-token-user") == "carol <b> (reader)"
    page.click("#copy-token")
    expect(page.locator("#message")).to_have_text("the token is copied")
    assert page.evaluate("navigator.clipboard.readText()") == token
    shot(page, "users-new-token")
    page.reload()
    assert token not in page.content() and page.locator("#new-token").is_hidden()
    expect(page.locator('tr[data-user="carol <b>"]')).to_contain_text("reader")

    rita = page.locator('tr[data-user="rita"]')
    rita.locator("select").select_option("writer")
    rita.locator("form.role-form button").click()
    expect(page.locator("#message")).to_have_text("rita is now a writer")
    assert [u.role for u in store.users() if u.name == "rita"] == ["writer"]

    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.click('button[data-revoke="bob"]')
    expect(page.locator("#message")).to_have_text(
        "revoked bob: 2 queued or running job(s) cancelled"
    )
    assert "2 queued or running job(s) of theirs are cancelled" in asked[0]
    assert store.pending_job_counts() == {}

    page.once("dialog", lambda d: d.accept())
    page.click('button[data-revoke="root"]')
    expect(page.locator("#message.error")).to_contain_text("the only active admin")
    assert [u.active() for u in store.users() if u.name == "root"] == [True]
    shot(page, "users-last-admin")
    assert [e for e in page.errors if "409" not in e] == []
