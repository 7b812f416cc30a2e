"""OpenSCENARIO catalogs: the directories ``CatalogLocations`` names and the entries a
``<CatalogReference>`` takes from them.

As the standard says, a reference names a catalog by its ``<Catalog name=...>``: every ``.xosc`` file
in any catalog directory holding a catalog of that name contributes its entries (several files may
share one name). Files written for the reference player often rely on its looser rules, which are
followed too, each with one warning: a file named after the catalog (``MiscObjectCatalog.xosc``)
whatever name it declares, and a ``Directory`` that does not exist found by its last folder name under
``Catalogs/`` beside or above the scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lxml import etree

from .xml import Reader, ScenarioError, children, load_xml

Declarations = Callable[[Reader, "etree._Element | None", "dict[str, str] | None"], dict[str, str]]
"""Reads ``ParameterDeclarations`` into parameters, given values replacing the declared defaults."""

CATALOG_KINDS = (
    "VehicleCatalog",
    "PedestrianCatalog",
    "MiscObjectCatalog",
    "ControllerCatalog",
    "ManeuverCatalog",
    "TrajectoryCatalog",
    "RouteCatalog",
    "EnvironmentCatalog",
)
MAX_CATALOG_FILES = 1000
"""Most ``.xosc`` files read from the catalog directories of one scenario."""


def _fallback_dirs(base: Path, given: str) -> list[Path]:
    """Where a catalog directory that does not exist is looked for: its last folder name under
    ``Catalogs/`` beside and above the scenario, and beside the scenario itself."""
    last = Path(given.replace("\\", "/")).name
    if not last:
        return []
    return [base / "Catalogs" / last, base.parent / "Catalogs" / last, base / last]


class Catalogs:
    """The catalogs of one scenario, read lazily and once."""

    def __init__(self, r: Reader, root: etree._Element, base: Path, declarations: Declarations) -> None:
        self.r = r
        self.declarations = declarations
        """Reads an entry's ``ParameterDeclarations`` into its parameters (the loader's)."""
        self.dirs: list[Path] = []
        self.files: list[Path] = []
        """Single catalog files a ``Directory`` names directly (``path="x/VehicleCatalog.xosc"``)."""
        self.missing: list[str] = []
        loc = root.find("CatalogLocations")
        if loc is not None:
            for c in children(loc):
                if c.tag not in CATALOG_KINDS:
                    raise r.unsupported(c, "catalog kind")
                d = r.child(c, "Directory")
                given = r.raw(d, "path")
                path = (base / given.replace("\\", "/")).resolve()
                if path.suffix == ".xosc" and path.is_file():
                    self.files.append(path)
                    continue
                if not path.is_dir():
                    found = next((p.resolve() for p in _fallback_dirs(base, given) if p.is_dir()), None)
                    if found is None:
                        self.missing.append(str(path))
                        continue
                    r.warn(d, f"path={given!r}: {path} does not exist; the catalogs in {found} are used")
                    path = found
                if path not in self.dirs:
                    self.dirs.append(path)
        self._roots: dict[Path, etree._Element] | None = None
        self._warned: set[Path] = set()

    def _catalog_files(self) -> dict[Path, etree._Element]:
        """Every catalog file: path -> its ``<Catalog>`` element."""
        if self._roots is None:
            paths = list(self.files)
            for d in self.dirs:
                paths += sorted(p for p in d.glob("*.xosc") if p not in paths)
            if len(paths) > MAX_CATALOG_FILES:
                raise ScenarioError(
                    f"{self.r.source}: the catalog directories hold more than {MAX_CATALOG_FILES} files"
                )
            self._roots = {}
            for p in paths:
                cat = load_xml(p).find("Catalog")
                if cat is not None:
                    self._roots[p] = cat
        return self._roots

    def entry(self, ref: etree._Element) -> tuple[etree._Element, Reader]:
        """The catalog entry a ``<CatalogReference>`` names, and a reader of the catalog file with
        the entry's parameters after assignment (its errors name the catalog file and line)."""
        r = self.r
        name, entry = r.raw(ref, "catalogName"), r.raw(ref, "entryName")
        files = self._catalog_files()
        for f, cat in files.items():
            if cat.get("name") == name:
                item = _find(cat, entry)
                if item is not None:
                    return item, self._reader(ref, f, item, entry)
        for f, cat in files.items():
            if f.stem == name and cat.get("name") != name:
                item = _find(cat, entry)
                if item is not None:
                    if f not in self._warned:
                        self._warned.add(f)
                        r.warn(
                            ref,
                            f"catalogName={name!r}: {f} declares its catalog as {cat.get('name')!r}; "
                            "its entries are used because the file is named after the catalog",
                        )
                    return item, self._reader(ref, f, item, entry)
        names = sorted({str(c.get("name")) for c in files.values()})
        where = [str(d) for d in self.dirs] + [str(f) for f in self.files]
        gone = f"; missing directories: {self.missing}" if self.missing else ""
        if any(c.get("name") == name for c in files.values()):
            raise r.error(ref, f"catalog {name!r} has no entry {entry!r} (catalog files in {where}){gone}")
        raise r.error(
            ref, f"catalog {name!r} entry {entry!r} not found: catalogs found {names} in {where}{gone}"
        )

    def _reader(self, ref: etree._Element, f: Path, item: etree._Element, entry: str) -> Reader:
        """The assignments replace the entry's declared defaults before they are read (a default is
        only a default: one that is assigned is never evaluated), as the standard and the reference
        player have it."""
        r = self.r
        decl = item.find("ParameterDeclarations")
        declared = (
            {(d.get("name") or "").removeprefix("$") for d in decl.iterfind("ParameterDeclaration")}
            if decl is not None
            else set()
        )
        assigned: dict[str, str] = {}
        assigns = ref.find("ParameterAssignments")
        if assigns is not None:
            for a in assigns.iterfind("ParameterAssignment"):
                key = r.param_ref(a)
                if key not in declared:  # the standard wants it declared; other players ignore it
                    r.warn(
                        a, f"catalog entry {entry!r} declares no parameter {key!r}: the assignment is ignored"
                    )
                    continue
                assigned[key] = r.raw(a, "value")
        sub = r.scoped(dict(r.params), str(f))
        return r.scoped(self.declarations(sub, decl, assigned), str(f))


def _find(cat: etree._Element, entry: str) -> etree._Element | None:
    return next((item for item in children(cat) if item.get("name") == entry), None)
