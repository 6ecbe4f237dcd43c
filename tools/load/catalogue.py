"""The SKUs a load run sells: its own, named after the run, so its stock checks are exact on a shared stack."""

from __future__ import annotations

from dataclasses import dataclass

import oms_client
from oms.inventory.v1 import inventory_pb2
from oms.pricing.v1 import pricing_pb2

from tools.oms.demo import CATALOGUE, LIMITED_SKU, money

WAREHOUSE_PROVINCES = ("浙江省", "江苏省", "上海市")


@dataclass(frozen=True)
class Catalogue:
    """The run's SKUs: regular ones with ample stock, the hot one of the flash sale, and the one the channel
    orders of the ingest scenario sell (kept apart, as those orders are not the saga's: the stock checks of
    the placed orders stay exact)."""

    run_id: str
    warehouse_id: str
    regular: tuple[str, ...]
    hot: str
    prices: dict[str, int]
    channel_sku: str = ""

    @property
    def skus(self) -> tuple[str, ...]:
        return (*self.regular, self.hot)

    def to_json(self) -> dict[str, object]:
        return {
            "warehouse_id": self.warehouse_id,
            "regular": list(self.regular),
            "hot": self.hot,
            "channel": self.channel_sku,
        }


def run_skus(run_id: str) -> tuple[list[str], str]:
    """The regular SKUs (one per demo product, same prices) and the hot SKU of ``run_id``."""
    regular = [f"LOAD-{run_id}-{sku.removeprefix('DEMO-')}" for sku in CATALOGUE if sku != LIMITED_SKU]
    return regular, f"LOAD-{run_id}-HOT"


def channel_sku_of(run_id: str) -> str:
    """The SKU the run's marketplace orders sell."""
    return f"LOAD-{run_id}-CHANNEL"


async def seed_catalogue(
    inventory: oms_client.ServiceClient,
    pricing: oms_client.ServiceClient,
    *,
    run_id: str,
    stock: int,
    hot_units: int,
    safety_stock: int,
) -> Catalogue:
    """Price the run's SKUs, open its warehouse and receive its stock (the clients call as a role allowed to:
    operations). Request ids derive from the run id, so seeding the same run twice changes nothing."""
    regular, hot = run_skus(run_id)
    demo_prices = [value for sku, value in CATALOGUE.items() if sku != LIMITED_SKU]
    prices = {sku: demo_prices[i] for i, sku in enumerate(regular)}
    prices[hot] = CATALOGUE[LIMITED_SKU]
    channel_sku = channel_sku_of(run_id)
    prices[channel_sku] = demo_prices[0]
    await pricing.SetPrices(
        pricing_pb2.SetPricesRequest(
            request_id=f"load-{run_id}-prices",
            prices=[
                pricing_pb2.SkuPrice(sku=sku, unit_price=money(price), cost=money(cost), floor=money(floor))
                for sku, (price, cost, floor) in prices.items()
            ],
        ),
    )
    warehouse = await inventory.UpsertWarehouse(
        inventory_pb2.UpsertWarehouseRequest(
            request_id=f"load-{run_id}-warehouse",
            code=f"LOAD-{run_id}",
            name=f"压测仓 load {run_id}",
            provinces=list(WAREHOUSE_PROVINCES),
        ),
    )
    warehouse_id = warehouse.warehouse.warehouse_id
    for sku in (*regular, hot, channel_sku):
        await inventory.ReceiveStock(
            inventory_pb2.ReceiveStockRequest(
                request_id=f"load-{run_id}-stock-{sku}",
                warehouse_id=warehouse_id,
                sku=sku,
                quantity=hot_units if sku == hot else stock,
                reference=f"oms load {run_id}",
            ),
        )
    if safety_stock:
        # Kept back on the regular SKUs only, so the conservation check covers safety stock while the
        # flash sale still sells exactly ``hot_units``.
        for sku in regular:
            await inventory.SetSafetyStock(
                inventory_pb2.SetSafetyStockRequest(
                    request_id=f"load-{run_id}-safety-{sku}",
                    warehouse_id=warehouse_id,
                    sku=sku,
                    safety_stock=safety_stock,
                ),
            )
    return Catalogue(
        run_id=run_id,
        warehouse_id=warehouse_id,
        regular=tuple(regular),
        hot=hot,
        prices={sku: price for sku, (price, _, _) in prices.items()},
        channel_sku=channel_sku,
    )
