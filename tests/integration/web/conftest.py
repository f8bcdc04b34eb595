"""Web fixtures: an app on a fresh store with three users and the example campaign."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from fluxtrap.campaign import CampaignSpec
from fluxtrap.store import Store
from fluxtrap.web import create_app

from ...conftest import EXAMPLES

NAME = "K-Ba122 SPS"
TOKENS = {"alice": "alice-token-0123456789", "bob": "bob-token-0123456789", "rita": "rita-token-0123456789"}
ROLES = {"alice": "writer", "bob": "writer", "rita": "reader"}


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


@dataclass
class Lab:
    store: Store
    client: TestClient


def make_store(url: str) -> Store:
    store = Store(url)
    for name, token in TOKENS.items():
        store.add_user(name, ROLES[name], token)
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    return store


@pytest.fixture
def any_lab(store_url) -> Lab:
    """The app on SQLite and, when a server is available, on PostgreSQL."""
    store = make_store(store_url)
    with TestClient(create_app(store)) as client:
        yield Lab(store, client)


@pytest.fixture
def lab(tmp_path) -> Lab:
    """The app on a SQLite file."""
    store = make_store(f"sqlite:///{tmp_path / 'lab.db'}")
    with TestClient(create_app(store)) as client:
        yield Lab(store, client)
