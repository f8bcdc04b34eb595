"""The campaign lists are paged: ``GET /api/campaigns`` and the dashboard's ``/`` answer at most a
bounded page (``?limit`` and ``?offset``, as the sample list), and refuse a hostile page size
(a lab server with thousands of campaigns answered every one of them each time)."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import quote

import pytest

from fluxtrap.campaign import CampaignSpec
from fluxtrap.web.api import (
    MAX_CAMPAIGNS,
    MAX_JC_CURVES,
    MAX_MEASUREMENTS,
    MAX_SAMPLES,
    MAX_SUGGESTIONS,
    MAX_USERS,
)
from fluxtrap.web.auth import COOKIE
from fluxtrap.web.pages import PAGE_CAMPAIGNS, PAGE_SAMPLES, PAGE_SUGGESTIONS

from .conftest import NAME, auth, login


def add_campaigns(lab, n: int) -> list[str]:
    """``n`` more campaigns like the example one; every campaign's name, oldest first."""
    spec = lab.store.campaign(NAME).to_dict()
    names = [f"run {i:03d}" for i in range(n)]
    for name in names:
        lab.store.create_campaign(CampaignSpec.from_dict(spec | {"name": name}))
    return [NAME, *names]


def listed(html: str) -> list[str]:
    """The campaign names a campaign list page shows, in order."""
    return [unescape(x) for x in re.findall(r'<td><a href="/campaigns/[^"]*">([^<]*)</a>', html)]


def test_the_api_pages_campaigns_oldest_first(lab):
    names = add_campaigns(lab, 7)

    def page(query: str) -> list[str]:
        r = lab.client.get(f"/api/campaigns{query}", headers=auth("rita"))
        assert r.status_code == 200, r.text
        return [c["name"] for c in r.json()]

    assert page("") == names  # the default page holds up to MAX_CAMPAIGNS
    assert page("?limit=3") == names[:3]
    assert page("?limit=3&offset=3") == names[3:6]
    assert page("?offset=6&limit=3") == names[6:]
    assert page("?offset=8") == []
    r = lab.client.get("/api/campaigns?limit=3&offset=3", headers=auth("rita"))
    assert {rel: x["url"] for rel, x in r.links.items()} == {
        "next": "/api/campaigns?limit=3&offset=6",
        "prev": "/api/campaigns?limit=3&offset=0",
    }
    assert set(lab.client.get("/api/campaigns?limit=3&offset=6", headers=auth("rita")).links) == {
        "prev"
    }
    # a page that ends exactly at the last of the 8 campaigns has no next one
    assert not lab.client.get("/api/campaigns?limit=8", headers=auth("rita")).links


def test_the_api_pages_users_by_name_for_admins(lab):
    """``GET /api/users`` answered every user at once; a page now, as campaigns are."""
    ada = {"Authorization": "Bearer ada-token-0123456789"}
    lab.store.add_user("ada", "admin", "ada-token-0123456789")
    for i in range(4):
        lab.store.add_user(f"user{i}", "reader", f"user{i}-token-0123456789")
    names = ["ada", "alice", "bob", "rita", "user0", "user1", "user2", "user3"]

    def page(query: str) -> list[str]:
        r = lab.client.get(f"/api/users{query}", headers=ada)
        assert r.status_code == 200, r.text
        return [u["name"] for u in r.json()]

    assert page("") == names
    assert page("?limit=3") == names[:3]
    assert page("?limit=3&offset=3") == names[3:6]
    assert page("?offset=6&limit=3") == names[6:]
    r = lab.client.get("/api/users?limit=3&offset=3", headers=ada)
    assert {rel: x["url"] for rel, x in r.links.items()} == {
        "next": "/api/users?limit=3&offset=6",
        "prev": "/api/users?limit=3&offset=0",
    }
    r = lab.client.get(f"/api/users?limit={MAX_USERS + 1}", headers=ada)
    assert r.status_code == 422 and f"less than or equal to {MAX_USERS}" in r.text
    assert lab.client.get("/api/users?limit=3", headers=auth("alice")).status_code == 403


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (f"limit={10**9}", f"less than or equal to {MAX_CAMPAIGNS}"),
        (f"limit={MAX_CAMPAIGNS + 1}", f"less than or equal to {MAX_CAMPAIGNS}"),
        ("limit=0", "greater than or equal to 1"),
        ("limit=-5", "digits 0-9"),
        ("limit=ten", "digits 0-9"),
        ("offset=-1", "digits 0-9"),
        (f"offset={10**12}", "less than or equal to 2147483647"),
        ("limit=3&limit=4", "'limit' was sent 2 times"),
    ],
)
def test_a_hostile_page_size_or_offset_is_refused_naming_it(lab, query, says):
    """On the API a JSON 422, on the page an HTML one, each naming the parameter."""
    api = lab.client.get(f"/api/campaigns?{query}", headers=auth("rita"))
    assert api.status_code == 422 and says in api.text, api.text
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = lab.client.get(f"/?{query}")
    assert page.status_code in (400, 422) and page.headers["content-type"].startswith("text/html")
    name = query.split("=")[0]
    assert says in unescape(page.text) and name in page.text, page.text[-600:]


def test_the_campaign_page_lists_a_bounded_page_with_next_and_previous_links(lab):
    names = add_campaigns(lab, PAGE_CAMPAIGNS + 1)  # one page and two more
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    first = lab.client.get("/").text
    assert listed(first) == names[:PAGE_CAMPAIGNS]
    assert 'id="previous-page"' not in first
    nxt = re.search(r'<a id="next-page" href="([^"]+)">', first).group(1)
    assert unescape(nxt) == f"/?offset={PAGE_CAMPAIGNS}"
    last = lab.client.get(unescape(nxt)).text
    assert listed(last) == names[PAGE_CAMPAIGNS:] and 'id="next-page"' not in last
    assert 'id="previous-page" href="/?offset=0"' in last
    small = lab.client.get("/?limit=2&offset=2").text  # a page size of one's own travels along
    assert listed(small) == names[2:4]
    assert 'href="/?offset=4&amp;limit=2"' in small and 'href="/?offset=0&amp;limit=2"' in small


def test_the_api_pages_suggestions_with_next_and_previous_links(lab):
    """``GET .../suggestions`` answered every suggestion the campaign ever had in one list; now
    at most MAX_SUGGESTIONS, the next and previous pages in the Link header (RFC 8288)."""
    n = MAX_SUGGESTIONS + 3
    points = [{"ramp_rate": 10 + i / 10, "max_temperature": 600, "dwell_time": 5} for i in range(n)]
    made = lab.store.add_suggestions(NAME, points, [0.1] * n, {}, seed=1, created_by="bob")
    ids = [s.id for s in made]
    C = f"/api/campaigns/{quote(NAME)}/suggestions"

    def page(query: str) -> tuple[list[int], dict]:
        r = lab.client.get(f"{C}{query}", headers=auth("rita"))
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()], r.links

    got, links = page("")
    assert got == ids[:MAX_SUGGESTIONS] and set(links) == {"next"}
    assert links["next"]["url"] == f"{C}?offset={MAX_SUGGESTIONS}"  # C: the name %-encoded
    got, links = page(f"?offset={MAX_SUGGESTIONS}")
    assert got == ids[MAX_SUGGESTIONS:] and set(links) == {"prev"}
    got, links = page("?status=open&limit=2&offset=2")
    assert got == ids[2:4]
    assert {rel: x["url"] for rel, x in links.items()} == {
        "next": f"{C}?status=open&limit=2&offset=4",
        "prev": f"{C}?status=open&limit=2&offset=0",
    }
    for query, says in [
        (f"limit={MAX_SUGGESTIONS + 1}", f"less than or equal to {MAX_SUGGESTIONS}"),
        ("offset=-1", "digits 0-9"),
        (f"offset={10**12}", "less than or equal to 2147483647"),
    ]:
        r = lab.client.get(f"{C}?{query}", headers=auth("rita"))
        assert r.status_code == 422 and says in r.text, r.text


def test_the_model_page_tables_the_newest_suggestions_with_older_and_newer_links(lab):
    """The model page tabled every suggestion the campaign ever had; now the newest
    PAGE_SUGGESTIONS (in id order) with a link to the older ones, keeping the page's query."""
    n = PAGE_SUGGESTIONS + 3
    points = [{"ramp_rate": 10 + i / 10, "max_temperature": 600, "dwell_time": 5} for i in range(n)]
    ids = [s.id for s in lab.store.add_suggestions(NAME, points, [0.1] * n, {}, seed=1)]
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = f"/campaigns/{quote(NAME)}/model"

    def rows(html: str) -> list[int]:
        return [int(x) for x in re.findall(r'data-suggestion-row="(\d+)"', html)]

    first = lab.client.get(f"{page}?x=dwell_time").text
    assert rows(first) == ids[3:] and 'id="newer-suggestions"' not in first
    assert f"{PAGE_SUGGESTIONS} of {n} suggestions" in first
    older = unescape(re.search(r'id="older-suggestions" href="([^"]+)"', first).group(1))
    assert older == f"{page}?x=dwell_time&offset={PAGE_SUGGESTIONS}"
    last = lab.client.get(older).text
    assert rows(last) == ids[:3] and 'id="older-suggestions"' not in last
    newer = unescape(re.search(r'id="newer-suggestions" href="([^"]+)"', last).group(1))
    assert newer == f"{page}?x=dwell_time&offset=0"
    assert rows(lab.client.get(f"{page}?limit=2&offset=1").text) == ids[-3:-1]
    for query in (f"limit={MAX_SUGGESTIONS + 1}", "offset=-1"):
        assert lab.client.get(f"{page}?{query}").status_code in (400, 422)


def test_the_campaign_page_tables_a_bounded_page_of_samples(lab):
    """The overview tabled every sample (and offered each in the upload form): 2000 samples were
    a 1.26 MB page; now PAGE_SAMPLES in recording order with next and previous links, while the
    progress figures still draw every sample."""
    n = PAGE_SAMPLES + 2
    labels = [f"S{i:04d}" for i in range(n)]
    for i, label in enumerate(labels):
        params = {"ramp_rate": 10 + i / 10, "max_temperature": 600, "dwell_time": 5}
        lab.store.add_sample(NAME, label, params, objectives={"jc_3T": 1e8 + i})
    lab.client.cookies.set(COOKIE, login(lab.store, "rita"))
    page = f"/campaigns/{quote(NAME)}"

    def tabled(html: str) -> list[str]:
        return re.findall(r"<tr><td>([^<]*)</td>", html)

    first = lab.client.get(page).text
    assert tabled(first) == labels[:PAGE_SAMPLES] and 'id="previous-samples"' not in first
    assert f"samples 1–{PAGE_SAMPLES} of {n}" in first
    progress = json.loads(unescape(re.search(r'id="progress-jc_3T-data">([^<]*)<', first)[1]))
    assert sum(len(t["x"]) for t in progress["data"] if t.get("mode") == "markers") == n
    nxt = unescape(re.search(r'id="next-samples" href="([^"]+)"', first).group(1))
    assert nxt == f"{page}?offset={PAGE_SAMPLES}"
    last = lab.client.get(nxt).text
    assert tabled(last) == labels[PAGE_SAMPLES:] and 'id="next-samples"' not in last
    assert f'id="previous-samples" href="{page}?offset=0"' in last
    assert tabled(lab.client.get(f"{page}?limit=2&offset=1").text) == labels[1:3]
    assert lab.client.get(f"{page}?limit={MAX_SAMPLES + 1}").status_code in (400, 422)


def test_a_campaign_of_several_hundred_samples_is_paged_above_its_forms(lab):
    """An overview of 300 samples tabled all of them on one page (500 a page): the record and
    upload forms came 17 000 px down, below 500 rows, for 600 samples. Now a page of them, the
    next link to the rest."""
    n = 300
    rows = [{"label": f"S{i:03d}", "params": {"ramp_rate": 10 + i / 10, "max_temperature": 600,
             "dwell_time": 5}} for i in range(n)]  # fmt: skip
    lab.store.add_samples(NAME, rows)
    lab.client.cookies.set(COOKIE, login(lab.store, "alice"))
    page = f"/campaigns/{quote(NAME)}"
    first = lab.client.get(page).text
    tabled = re.findall(r"<tr><td>([^<]*)</td>", first)
    assert tabled == [r["label"] for r in rows[: len(tabled)]] and len(tabled) < n
    assert f'id="next-samples" href="{page}?offset={len(tabled)}"' in first
    assert f"samples 1–{len(tabled)} of {n}" in first


def test_the_api_pages_a_samples_measurements(lab):
    """``GET .../samples/{label}/measurements`` listed every file of the sample, reading each
    one's metadata for its warnings; now at most MAX_MEASUREMENTS, with Link header pages."""
    lab.store.add_sample(NAME, "B1", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
    n = MAX_MEASUREMENTS + 2
    ids = [
        lab.store.add_measurement(NAME, "B1", "mt_curve", f"f{i}.dat", b"%d" % i).id
        for i in range(n)
    ]
    url = f"/api/campaigns/{quote(NAME)}/samples/B1/measurements"
    r = lab.client.get(url, headers=auth("rita"))
    assert [x["id"] for x in r.json()] == ids[:MAX_MEASUREMENTS]
    assert r.links["next"]["url"] == f"{url}?offset={MAX_MEASUREMENTS}"
    r = lab.client.get(r.links["next"]["url"], headers=auth("rita"))
    assert [x["id"] for x in r.json()] == ids[MAX_MEASUREMENTS:] and set(r.links) == {"prev"}
    r = lab.client.get(f"{url}?limit=2&offset=1", headers=auth("rita"))
    assert [x["id"] for x in r.json()] == ids[1:3]
    r = lab.client.get(f"{url}?limit={MAX_MEASUREMENTS + 1}", headers=auth("rita"))
    assert r.status_code == 422 and f"less than or equal to {MAX_MEASUREMENTS}" in r.text


def test_the_api_pages_the_jc_curves(lab, loop_file):
    """``GET .../jc`` answered every measured sample's curve at once (a 1000-point curve is about
    50 kB of JSON: 2000 samples were ~100 MB); now at most MAX_JC_CURVES, first measured first,
    with Link header pages."""
    from .test_upload import upload

    for i, label in enumerate(("B1", "B2", "B3")):
        lab.store.add_sample(
            NAME, label, {"ramp_rate": 50, "max_temperature": 600, "dwell_time": i}
        )
        assert upload(lab, loop_file, label=label).status_code == 201
    url = f"/api/campaigns/{quote(NAME)}/jc"
    r = lab.client.get(f"{url}?limit=2", headers=auth("rita"))
    assert list(r.json()) == ["B1", "B2"] and r.links["next"]["url"] == f"{url}?limit=2&offset=2"
    r = lab.client.get(r.links["next"]["url"], headers=auth("rita"))
    assert list(r.json()) == ["B3"] and set(r.links) == {"prev"}
    r = lab.client.get(f"{url}?sample=B3&sample=B1&limit=1&offset=1", headers=auth("rita"))
    assert list(r.json()) == ["B3"]  # of those asked, in measuring order
    r = lab.client.get(f"{url}?limit={MAX_JC_CURVES + 1}", headers=auth("rita"))
    assert r.status_code == 422 and f"less than or equal to {MAX_JC_CURVES}" in r.text


def test_sample_labels_are_searched_across_every_page_bounded(lab):
    """The upload form's picker reads ``/api/campaigns/{c}/labels``: labels containing the text
    (ASCII letters in either case; ``%`` and ``_`` as typed, not SQL wildcards), newest first,
    at most ``limit`` (1 to MAX_LABELS); a hostile query is a 422 naming it, another campaign's
    labels are not offered, and no token is a 401."""
    from fluxtrap.web.api import MAX_LABELS

    spec = lab.store.campaign(NAME).to_dict()
    lab.store.create_campaign(CampaignSpec.from_dict(spec | {"name": "other"}))
    params = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
    for label in ("B1", "b2", "50%_x", "50a_x", "C1"):
        lab.store.add_sample(NAME, label, params)
    lab.store.add_sample("other", "B9", params)

    def labels(query: str, campaign: str = NAME, user: str = "rita"):
        return lab.client.get(f"/api/campaigns/{quote(campaign)}/labels{query}", headers=auth(user))

    assert labels("").json() == ["C1", "50a_x", "50%_x", "b2", "B1"]
    assert labels("?containing=b").json() == ["b2", "B1"]
    assert labels("?containing=%25").json() == ["50%_x"]  # not "anything"
    assert labels("?containing=0%25_").json() == ["50%_x"]
    assert labels("?containing=B&limit=1").json() == ["b2"]
    assert labels("?containing=Z").json() == []
    for query, where in (
        (f"?limit={MAX_LABELS + 1}", "limit"),
        ("?limit=0", "limit"),
        (f"?containing={'x' * 201}", "containing"),
        ("?contains=B", "'contains' (did you mean 'containing'?)"),
    ):
        r = labels(query)
        assert r.status_code == 422 and where in r.text, (query, r.text)
    r = labels("", campaign="nope")
    assert r.status_code == 404 and "no campaign named 'nope'" in r.text
    assert lab.client.get(f"/api/campaigns/{quote(NAME)}/labels").status_code == 401
