"""Generates the Python stubs of proto/ into clients/python/oms, checks they are fresh, lints with buf.

python -m tools.codegen            regenerate clients/python/oms from proto/
python -m tools.codegen --check    fail if the checked-in stubs differ from a fresh generation
python -m tools.codegen --lint     buf lint, and buf breaking against proto/BASELINE when it names a commit
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
PACKAGE_ROOT = ROOT / "clients" / "python"
GENERATED = PACKAGE_ROOT / "oms"
BASELINE = PROTO_ROOT / "BASELINE"
HEADER = '"""Generated from proto/ by `python -m tools.codegen`; never edit by hand."""\n'


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def generate(out_root: Path) -> None:
    """Run protoc over every proto file, writing the `oms` package under ``out_root``."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    out_root.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *[str(p.relative_to(PROTO_ROOT)) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    package = out_root / "oms"
    for directory in [package, *[p for p in package.rglob("*") if p.is_dir()]]:
        (directory / "__init__.py").write_text(HEADER)
    (package / "py.typed").write_text("")


def regenerate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        if GENERATED.exists():
            shutil.rmtree(GENERATED)
        shutil.copytree(Path(tmp) / "oms", GENERATED)
    print(f"generated {len(proto_files())} proto files into {GENERATED.relative_to(ROOT)}")


def differences(left: Path, right: Path) -> list[str]:
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [f"only in checked-in: {n}" for n in comparison.left_only]
    found += [f"missing from checked-in: {n}" for n in comparison.right_only]
    found += [f"stale: {n}" for n in comparison.diff_files]
    for name, sub in comparison.subdirs.items():
        found += [f"{name}/{d}" for d in differences(Path(sub.left), Path(sub.right))]
    return found


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        stale = differences(GENERATED, Path(tmp) / "oms") if GENERATED.exists() else ["oms/ missing"]
    if stale:
        print("generated stubs are stale; run `make codegen`:\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1
    print("generated stubs are fresh")
    return 0


def lint() -> int:
    buf = shutil.which("buf") or str(Path(sys.executable).parent / "buf")
    if subprocess.run([buf, "lint"], cwd=ROOT).returncode != 0:
        return 1
    baseline = BASELINE.read_text().strip() if BASELINE.exists() else ""
    if baseline:
        against = f".git#ref={baseline},subdir=proto"
        if subprocess.run([buf, "breaking", "proto", "--against", against], cwd=ROOT).returncode != 0:
            return 1
    print("buf lint clean" + (f"; no breaking change since {baseline[:12]}" if baseline else ""))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--lint", action="store_true")
    options = parser.parse_args()
    if options.check:
        return check()
    if options.lint:
        return lint()
    regenerate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
