"""Runs the simulated marketplace: `python -m tools.marketplace --port 8900 --orders 500`."""

from __future__ import annotations

import argparse
import signal
import threading

from tools.marketplace.payloads import PLATFORMS, OrderFactory
from tools.marketplace.server import MarketplaceServer
from tools.marketplace.store import Marketplace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8900, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--orders", type=int, default=200, help="paid orders to serve per platform")
    arguments = parser.parse_args()
    marketplace = Marketplace()
    for index, platform in enumerate(PLATFORMS):
        factory = OrderFactory(prefix=str(index + 1))
        marketplace.put(platform, *(factory.make() for _ in range(arguments.orders)))
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with MarketplaceServer(marketplace, port=arguments.port) as server:
        print(f"marketplace serving {arguments.orders} orders per platform at {server.url}/<platform>/orders")
        stopped.wait()


if __name__ == "__main__":
    main()
