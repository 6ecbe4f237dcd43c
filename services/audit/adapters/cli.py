"""`oms audit verify`: recompute every audit chain straight from the audit database and say where it breaks."""

from __future__ import annotations

import sys
from typing import TextIO

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.application.commands import VerificationReport, VerifyChains
from services.audit.application.handlers import verify_chains
from shared.db import session_factory
from shared.kernel.errors import OmsError
from shared.migrations import asyncpg_url

INTACT, BROKEN, FAILED = 0, 1, 2


def render(report: VerificationReport) -> list[str]:
    """One line per chain, then a verdict."""
    lines = []
    for chain in report.chains:
        if chain.broken is None:
            span = f"{chain.first_sequence}..{chain.last_sequence}" if chain.entries_checked else "no entries left"
            lines.append(
                f"{chain.chain}: intact, {chain.entries_checked} entries ({span}), last hash {chain.last_hash}"
            )
        else:
            link = chain.broken
            lines.append(
                f"{chain.chain}: BROKEN at sequence {link.sequence} (entry {link.entry_id or '-'}): {link.kind.value};"
                f" expected {link.expected or '-'}, found {link.found or '-'}; {link.detail}"
            )
    if not report.chains:
        lines.append("no audit chains yet")
    lines.append("audit trail intact" if report.intact else "AUDIT TRAIL BROKEN")
    return lines


async def verify_command(database_url: str, *, chain: str = "", out: TextIO | None = None) -> int:
    """Verify ``chain`` (every chain when empty) in ``database_url``; writes a report to ``out`` (stdout) and
    returns the exit code: 0 intact, 1 broken, 2 could not verify."""
    stream = out if out is not None else sys.stdout
    engine = create_async_engine(asyncpg_url(database_url), pool_size=1, max_overflow=0)
    try:
        uow = AuditUnitOfWork(session_factory(engine), source="audit", stream="")
        report = await verify_chains(VerifyChains(chain=chain), uow)
    except OmsError as error:
        stream.write(f"cannot verify: {error.message}\n")
        return FAILED
    except (OSError, DBAPIError) as error:
        stream.write(f"cannot verify: the audit database is unreachable or not migrated ({type(error).__name__})\n")
        return FAILED
    finally:
        await engine.dispose()
    stream.write("\n".join(render(report)) + "\n")
    return INTACT if report.intact else BROKEN
