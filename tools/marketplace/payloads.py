"""Orders in each platform's own format: one neutral order rendered as a Taobao trade, a JD order, a Douyin
shop order, a Pinduoduo order, a Shopify order or a mini-program order, with that platform's field names,
status names, money format, time zone and address structure."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

PLATFORMS = ("taobao", "jd", "douyin", "pinduoduo", "shopify", "mini_program")
BEIJING = timezone(timedelta(hours=8))
NEW_YORK = timezone(timedelta(hours=-5))
# The listing key each platform keeps its records under (the hub's adapters read the same keys).
LIST_KEYS = {
    "taobao": "trades",
    "jd": "orderInfoList",
    "douyin": "shop_order_list",
    "pinduoduo": "order_list",
    "shopify": "orders",
    "mini_program": "orders",
}
STATUSES = ("UNPAID", "PAID", "SHIPPED", "CANCELLED")


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    unit_fen: int


@dataclass(frozen=True)
class Buyer:
    member_id: str
    nickname: str


@dataclass(frozen=True)
class Consignee:
    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    postal_code: str = ""


@dataclass(frozen=True)
class MarketOrder:
    """A platform order in neutral terms; ``version`` grows with every change, ``modified_at`` with it."""

    order_id: str
    status: str
    created_at: datetime
    modified_at: datetime
    buyer: Buyer
    consignee: Consignee
    lines: tuple[Line, ...]
    shipping_fen: int = 0
    discount_fen: int = 0
    currency: str = "CNY"
    version: int = 1
    remark: str = ""

    @property
    def goods_fen(self) -> int:
        return sum(line.quantity * line.unit_fen for line in self.lines)

    @property
    def total_fen(self) -> int:
        return self.goods_fen + self.shipping_fen - self.discount_fen

    def changed(self, at: datetime, **changes: Any) -> MarketOrder:
        """The next snapshot of this order: a later modified time and a higher version."""
        return replace(self, modified_at=at, version=self.version + 1, **changes)


@dataclass(frozen=True)
class Number:
    """A JSON number written from its decimal text (Pinduoduo's "float-looking" yuan amounts)."""

    text: str


_NUMBER = re.compile(r'"\\u0000num:([-0-9.]+)"')


def _encode(value: Any) -> Any:
    if isinstance(value, Number):
        return "\x00num:" + value.text
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(payload: Any) -> str:
    """JSON text of a payload, writing :class:`Number` values as bare numbers with all their digits."""
    return _NUMBER.sub(r"\1", json.dumps(payload, ensure_ascii=False, default=_encode))


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    units, cents = divmod(abs(fen), 100)
    return f"{sign}{units}.{cents:02d}"


def _local(moment: datetime, zone: timezone = BEIJING) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _status(platform: str, status: str, table: dict[str, Any]) -> Any:
    if status not in table:
        raise ValueError(f"{platform} does not list orders in status {status}")
    return table[status]


def taobao(order: MarketOrder) -> dict[str, Any]:
    c = order.consignee
    return {
        "tid": int(order.order_id) if order.order_id.isdigit() else order.order_id,
        "status": _status(
            "taobao",
            order.status,
            {
                "UNPAID": "WAIT_BUYER_PAY",
                "PAID": "WAIT_SELLER_SEND_GOODS",
                "SHIPPED": "WAIT_BUYER_CONFIRM_GOODS",
                "CANCELLED": "TRADE_CLOSED",
            },
        ),
        "type": "fixed",
        "buyer_nick": order.buyer.nickname,
        "buyer_open_uid": order.buyer.member_id,
        "created": _local(order.created_at),
        "pay_time": "" if order.status == "UNPAID" else _local(order.created_at + timedelta(seconds=4)),
        "modified": _local(order.modified_at),
        "total_fee": yuan(order.goods_fen),
        "post_fee": yuan(order.shipping_fen),
        "discount_fee": yuan(order.discount_fen),
        "payment": yuan(order.total_fen),
        "buyer_message": order.remark,
        "seller_memo": "",
        "receiver_name": c.name,
        "receiver_mobile": c.phone,
        "receiver_state": c.province,
        "receiver_city": c.city,
        "receiver_district": c.district,
        "receiver_address": c.detail,
        "receiver_zip": c.postal_code,
        "orders": {
            "order": [
                {
                    "oid": f"{order.order_id}{index}",
                    "outer_sku_id": line.sku,
                    "title": line.sku,
                    "num": line.quantity,
                    "price": yuan(line.unit_fen),
                    "total_fee": yuan(line.unit_fen * line.quantity),
                    "discount_fee": "0.00",
                }
                for index, line in enumerate(order.lines)
            ]
        },
    }


def jd(order: MarketOrder) -> dict[str, Any]:
    c = order.consignee
    return {
        "orderId": order.order_id,
        "venderId": "10086",
        "orderState": _status(
            "jd",
            order.status,
            {"PAID": "WAIT_SELLER_STOCK_OUT", "SHIPPED": "WAIT_GOODS_RECEIVE_CONFIRM", "CANCELLED": "TRADE_CANCELED"},
        ),
        "pin": order.buyer.nickname,
        "open_id_buyer": order.buyer.member_id,
        "orderTotalPrice": yuan(order.goods_fen),
        "orderPayment": yuan(order.total_fen),
        "freightPrice": yuan(order.shipping_fen),
        "sellerDiscount": yuan(order.discount_fen),
        "orderStartTime": _local(order.created_at),
        "paymentConfirmTime": _local(order.created_at + timedelta(seconds=10)),
        "modified": _local(order.modified_at),
        "orderRemark": order.remark,
        "venderRemark": "",
        "consigneeInfo": {
            "fullname": c.name,
            "mobile": c.phone,
            "telephone": "",
            "province": c.province,
            "city": c.city,
            "county": c.district,
            "fullAddress": c.detail,
        },
        "itemInfoList": [
            {
                "skuId": str(1000 + index),
                "outerSkuId": line.sku,
                "jdPrice": yuan(line.unit_fen),
                "itemTotal": str(line.quantity),
            }
            for index, line in enumerate(order.lines)
        ],
    }


def douyin(order: MarketOrder) -> dict[str, Any]:
    c = order.consignee
    return {
        "order_id": order.order_id,
        "order_status": _status("douyin", order.status, {"UNPAID": 1, "PAID": 2, "SHIPPED": 3, "CANCELLED": 4}),
        "doudian_open_id": order.buyer.member_id,
        "user_nick_name": order.buyer.nickname,
        "create_time": int(order.created_at.timestamp()),
        "pay_time": 0 if order.status == "UNPAID" else int(order.created_at.timestamp()) + 5,
        "update_time": int(order.modified_at.timestamp()),
        "order_amount": order.goods_fen,
        "pay_amount": order.total_fen,
        "post_amount": order.shipping_fen,
        "promotion_amount": order.discount_fen,
        "buyer_words": order.remark,
        "seller_words": "",
        "post_receiver": c.name,
        "post_tel": c.phone,
        "post_addr": {
            "province": {"name": c.province},
            "city": {"name": c.city},
            "town": {"name": c.district},
            "street": {"name": ""},
            "detail": c.detail,
        },
        "sku_order_list": [
            {"sku_id": 1700 + index, "code": line.sku, "item_num": line.quantity, "goods_price": line.unit_fen}
            for index, line in enumerate(order.lines)
        ],
    }


def pinduoduo(order: MarketOrder) -> dict[str, Any]:
    c = order.consignee
    order_status, refund_status = _status(
        "pinduoduo", order.status, {"PAID": (1, 1), "SHIPPED": (2, 1), "CANCELLED": (1, 4)}
    )
    return {
        "order_sn": order.order_id,
        "order_status": order_status,
        "refund_status": refund_status,
        "created_time": _local(order.created_at),
        "confirm_time": _local(order.created_at + timedelta(seconds=10)),
        "updated_at": _local(order.modified_at),
        "goods_amount": Number(yuan(order.goods_fen)),
        "discount_amount": Number(yuan(order.discount_fen)),
        "postage": Number(yuan(order.shipping_fen)),
        "pay_amount": Number(yuan(order.total_fen)),
        "buyer_memo": order.remark,
        "remark": "",
        "receiver_name": c.name,
        "receiver_phone": c.phone,
        "country": "中国",
        "province": c.province,
        "city": c.city,
        "town": c.district,
        "address": c.detail,
        "item_list": [
            {
                "sku_id": 9000 + index,
                "outer_id": line.sku,
                "goods_count": line.quantity,
                "goods_price": Number(yuan(line.unit_fen)),
            }
            for index, line in enumerate(order.lines)
        ],
    }


def shopify(order: MarketOrder) -> dict[str, Any]:
    c = order.consignee
    first, _, last = c.name.partition(" ")
    status = _status(
        "shopify", order.status, {"UNPAID": "pending", "PAID": "paid", "SHIPPED": "paid", "CANCELLED": "voided"}
    )
    return {
        "id": int(order.order_id) if order.order_id.isdigit() else order.order_id,
        "name": f"#{order.order_id[-6:]}",
        "created_at": order.created_at.astimezone(NEW_YORK).isoformat(),
        "updated_at": order.modified_at.astimezone(NEW_YORK).isoformat(),
        "processed_at": order.created_at.astimezone(NEW_YORK).isoformat(),
        "financial_status": status,
        "fulfillment_status": "fulfilled" if order.status == "SHIPPED" else None,
        "cancelled_at": order.modified_at.astimezone(NEW_YORK).isoformat() if order.status == "CANCELLED" else None,
        "currency": order.currency,
        "total_price": yuan(order.total_fen),
        "total_line_items_price": yuan(order.goods_fen),
        "total_discounts": yuan(order.discount_fen),
        "total_shipping_price_set": {
            "shop_money": {"amount": yuan(order.shipping_fen), "currency_code": order.currency}
        },
        "note": order.remark,
        "customer": {"id": order.buyer.member_id, "first_name": first, "last_name": last},
        "shipping_address": {
            "first_name": first,
            "last_name": last,
            "address1": c.detail,
            "address2": "",
            "city": c.city,
            "province": c.province,
            "country_code": "US",
            "zip": c.postal_code,
            "phone": c.phone,
        },
        "line_items": [
            {
                "id": index + 1,
                "sku": line.sku,
                "quantity": line.quantity,
                "price": yuan(line.unit_fen),
                "total_discount": "0.00",
            }
            for index, line in enumerate(order.lines)
        ],
    }


def mini_program(order: MarketOrder) -> dict[str, Any]:
    c = order.consignee
    return {
        "order_no": order.order_id,
        "version": order.version,
        "status": _status(
            "mini_program",
            order.status,
            {"UNPAID": "PENDING_PAY", "PAID": "PAID", "SHIPPED": "SHIPPED", "CANCELLED": "CANCELLED"},
        ),
        "created_at": order.created_at.astimezone(BEIJING).isoformat(),
        "paid_at": "" if order.status == "UNPAID" else order.created_at.astimezone(BEIJING).isoformat(),
        "updated_at": order.modified_at.astimezone(BEIJING).isoformat(),
        "member": {"member_id": order.buyer.member_id, "nickname": order.buyer.nickname},
        "consignee": {
            "name": c.name,
            "mobile": c.phone,
            "province": c.province,
            "city": c.city,
            "district": c.district,
            "address": c.detail,
            "postcode": c.postal_code,
        },
        "amounts": {
            "goods_fen": order.goods_fen,
            "freight_fen": order.shipping_fen,
            "discount_fen": order.discount_fen,
            "paid_fen": order.total_fen,
        },
        "items": [
            {"sku": line.sku, "qty": line.quantity, "price_fen": line.unit_fen, "discount_fen": 0}
            for line in order.lines
        ],
        "remark": order.remark,
    }


RENDERERS = {
    "taobao": taobao,
    "jd": jd,
    "douyin": douyin,
    "pinduoduo": pinduoduo,
    "shopify": shopify,
    "mini_program": mini_program,
}


def render(platform: str, order: MarketOrder) -> dict[str, Any]:
    """``order`` as ``platform`` would serve it."""
    return RENDERERS[platform](order)


def encode(platform: str, order: MarketOrder) -> bytes:
    """The raw payload of ``order`` on ``platform``, as it would arrive in a webhook."""
    return dumps(render(platform, order)).encode()


_PROVINCES = (
    ("浙江省", "杭州市", "西湖区"),
    ("江苏省", "苏州市", "工业园区"),
    ("上海市", "上海市", "浦东新区"),
    ("广东省", "深圳市", "南山区"),
    ("四川省", "成都市", "武侯区"),
)
_NAMES = ("张伟", "李娜", "王芳", "吉𠮷", "𠮷野家", "刘洋", "陈静", "Bob Norman")


@dataclass
class OrderFactory:
    """Deterministic, realistic neutral orders (for the simulator, tests and the benchmark)."""

    prefix: str = "9"
    start: datetime = field(default_factory=lambda: datetime(2026, 11, 11, 0, 0, 5, tzinfo=BEIJING).astimezone(UTC))
    skus: tuple[str, ...] = ("SKU-TEE-M", "SKU-MUG", "SKU-CAP", "SKU-BAG", "SKU-LAMP")
    counter: int = 0

    def make(self, *, status: str = "PAID", lines: tuple[Line, ...] | None = None, **overrides: Any) -> MarketOrder:
        self.counter += 1
        n = self.counter
        province, city, district = _PROVINCES[n % len(_PROVINCES)]
        name = _NAMES[n % len(_NAMES)]
        created = self.start + timedelta(seconds=n)
        values: dict[str, Any] = {
            "order_id": f"{self.prefix}{n:012d}",
            "status": status,
            "created_at": created,
            "modified_at": created + timedelta(seconds=5),
            "buyer": Buyer(f"buyer-{n % 997}", f"买家{n % 997}号"),
            "consignee": Consignee(
                name, f"138{n % 100_000_000:08d}", province, city, district, f"幸福路 {n} 号", "310000"
            ),
            "lines": lines or (Line(self.skus[n % len(self.skus)], 1 + n % 3, 1990 + 100 * (n % 7)),),
            "shipping_fen": 800 if n % 4 == 0 else 0,
            "discount_fen": 500 if n % 5 == 0 else 0,
        }
        values.update(overrides)
        return MarketOrder(**values)
