"""Where the package's own data lives: our schemas (``xsd/``), FHIR profiles (``profiles/``)
and fixtures (``fixtures/``).

They are top level in the repository (the layout users know) and shipped inside the wheel
as ``medcom_adapter/xsd``, ``medcom_adapter/profiles`` and ``medcom_adapter/fixtures`` (see
``setup.py``). An installed package finds them through :mod:`importlib.resources`; a source
checkout (and its editable install) at the top level of the checkout. Every path to them is
made here and nowhere else.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]


def _data(name: str) -> Path:
    packaged = resources.files(__package__).joinpath(name)
    if packaged.is_dir():
        # A wheel installs as plain files, so the resource is a real directory that lxml
        # and our loaders can open by path.
        return Path(str(packaged))
    return _CHECKOUT / name


def xsd() -> Path:
    return _data("xsd")


def profiles() -> Path:
    return _data("profiles")


def fixtures() -> Path:
    return _data("fixtures")


EXAMPLE_RECEIVERS = fixtures() / "network" / "receivers.json"  # the sandbox's directory
EXAMPLE_REQUESTS = fixtures() / "requests"
