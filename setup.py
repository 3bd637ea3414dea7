"""Packaging beyond pyproject.toml: the schemas, profiles and fixtures stay top level in the
repository (the layout users know) and ship inside the package as ``medcom_adapter/xsd``,
``medcom_adapter/profiles`` and ``medcom_adapter/fixtures``, read through importlib.resources
(``medcom_adapter.resources``)."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

DATA = ("xsd", "profiles", "fixtures")


def data_packages() -> dict[str, list[str]]:
    """Every data folder whose name can be a package name is one (setuptools asks that of
    folders of importable names); the files of any other folder belong to the nearest one."""
    packages: dict[str, list[str]] = {}
    for top in DATA:
        for folder in (Path(top), *sorted(Path(top).glob("**/"))):
            if "__pycache__" in folder.parts:
                continue
            parts = folder.parts
            cut = next((i for i, p in enumerate(parts) if not p.isidentifier()), len(parts))
            name = ".".join(("medcom_adapter", *parts[:cut]))
            packages.setdefault(name, []).append("/".join((*parts[cut:], "*")))
    return packages


DATA_PACKAGES = data_packages()
setup(
    packages=[*find_namespace_packages(include=["medcom_adapter*"]), *DATA_PACKAGES],
    package_dir={f"medcom_adapter.{top}": top for top in DATA},
    package_data={"medcom_adapter": ["py.typed", "service/templates/*.html",
                                     "service/static/*.css"], **DATA_PACKAGES},
)
