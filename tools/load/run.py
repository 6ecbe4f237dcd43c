"""One load run in three phases: prepare (seed the run's catalogue), drive (the traffic), verify (the checks).

Tests call the phases one by one to break the system between driving and verifying.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console

from tools.load.catalogue import Catalogue, seed_catalogue
from tools.load.checks import SkuSnapshot, evaluate
from tools.load.config import LoadConfig, LoadConfigError
from tools.load.driver import Traffic, drive
from tools.load.report import LoadResult
from tools.load.scenarios import ChannelDesk, RefundDesk, Transport
from tools.load.target import GrpcChannelDesk, GrpcRefundDesk, GrpcTransport, Target
from tools.load.verify import Reader, collect, step_timings, stock_snapshot


class LoadRun:
    """Drives ``target`` as ``config`` says; orders go through ``transport`` (the saga's gRPC by default)."""

    def __init__(
        self,
        config: LoadConfig,
        target: Target,
        *,
        transport: Transport | None = None,
        console: Console | None = None,
        progress: bool = True,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.target = target
        self.transport = transport or GrpcTransport(target)
        self.refunds: RefundDesk | None = None
        if config.mix.weight("refund") > 0:
            if "refunds" not in target.addresses:
                raise LoadConfigError("mix", "the refund scenario needs the refunds service, which the stack lacks")
            # Refunds go to the refunds service over gRPC whichever way the orders travel.
            self.refunds = GrpcRefundDesk(target)
        # Channel orders go to the orders service over gRPC whichever way the own-site orders travel.
        self.channels: ChannelDesk | None = GrpcChannelDesk(target) if config.mix.weight("ingest") > 0 else None
        self.console = console
        self.progress = progress
        self._say = say or (lambda message: None)
        self.catalogue: Catalogue | None = None
        self.initial: dict[str, SkuSnapshot] = {}
        self.traffic: Traffic | None = None

    async def prepare(self) -> Catalogue:
        """Seed the run's SKUs and take the stock figures the checks start from."""
        config = self.config
        self._say(f"seeding run {config.run_id}: {config.stock:,} units per regular SKU, {config.flash_units:,} hot")
        self.catalogue = await seed_catalogue(
            self.target.client("inventory", role="operations"),
            self.target.client("pricing", role="operations"),
            run_id=config.run_id,
            stock=config.stock,
            hot_units=config.flash_units,
            safety_stock=config.safety_stock,
        )
        reader = Reader(self.target, config.verify_concurrency)
        self.initial = await stock_snapshot(reader, self.catalogue.skus)
        if reader.problems:
            raise RuntimeError(f"could not read the starting stock: {reader.problems[0]}")
        return self.catalogue

    async def drive(self) -> Traffic:
        if self.catalogue is None:
            raise RuntimeError("prepare() must run before drive()")
        self.traffic = await drive(
            self.config,
            self.transport,
            self.catalogue,
            console=self.console,
            progress=self.progress,
            refunds=self.refunds,
            channels=self.channels,
        )
        return self.traffic

    async def verify(self) -> LoadResult:
        if self.catalogue is None or self.traffic is None:
            raise RuntimeError("prepare() and drive() must run before verify()")
        began = time.monotonic()
        facts = await collect(self.target, self.config, self.catalogue, self.traffic, self.initial, progress=self._say)
        mix = self.config.mix
        checks = evaluate(
            facts, flash=mix.weight("flash") > 0, declines=mix.weight("decline") > 0, ingest=mix.weight("ingest") > 0
        )
        steps, sampled = await step_timings(
            self.target,
            self.traffic,
            self.config.saga_sample,
            seed=self.config.seed,
            concurrency=self.config.verify_concurrency,
        )
        return LoadResult(
            config=self.config,
            catalogue=self.catalogue,
            traffic=self.traffic,
            checks=checks,
            steps=steps,
            sagas_sampled=sampled,
            target=", ".join(f"{name}={address}" for name, address in sorted(self.target.addresses.items())),
            verify_seconds=time.monotonic() - began,
        )

    async def run(self) -> LoadResult:
        await self.prepare()
        await self.drive()
        self._say("all answers in; checking")
        return await self.verify()
