"""The gRPC face of customers: proto -> command -> handler -> proto (errors map in the shared interceptor)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import grpc
from oms.common.v1 import common_pb2
from oms.customers.v1 import customers_pb2, customers_pb2_grpc
from opentelemetry import trace

from services.customers.adapters.events import kind_to_proto, tier_to_proto, timestamp
from services.customers.application import handlers
from services.customers.application.commands import (
    FindSimilarCustomers,
    GetCustomer,
    ListCustomers,
    MergeCustomers,
    Probe,
    SetCustomerTeam,
    SetCustomerTier,
    TagCustomer,
    UntagCustomer,
    UpsertCustomer,
)
from services.customers.application.ports import CustomersUnitOfWork
from services.customers.domain.pii import CustomerView
from services.customers.domain.values import Address, CustomerStatus, CustomerTier
from shared.context import current_call
from shared.db import utc_now
from shared.kernel.errors import InvalidArgument
from shared.telemetry import attributes

# The role of service accounts (shared.auth): the only callers that may name another viewer in GetCustomer.
SERVICE_ROLE = "service"
SERVICE_NAME = customers_pb2.DESCRIPTOR.services_by_name["CustomersService"].full_name

_STATUS = {
    CustomerStatus.ACTIVE: customers_pb2.CUSTOMER_STATUS_ACTIVE,
    CustomerStatus.MERGED: customers_pb2.CUSTOMER_STATUS_MERGED,
}
_TIERS = {tier_to_proto(tier): tier for tier in CustomerTier}


def tier_in(value: int, field: str) -> CustomerTier | None:
    """The domain tier of a proto enum value; None for UNSPECIFIED, InvalidArgument for unknown numbers."""
    if value == customers_pb2.CUSTOMER_TIER_UNSPECIFIED:
        return None
    if value not in _TIERS:
        raise InvalidArgument.field(field, f"unknown tier {value}")
    return _TIERS[value]


def address_in(address: common_pb2.Address) -> Address:
    return Address(
        recipient=address.recipient,
        phone=address.phone,
        country=address.country,
        province=address.province,
        city=address.city,
        district=address.district,
        detail=address.detail,
        postal_code=address.postal_code,
    )


def address_out(address: Address) -> common_pb2.Address:
    return common_pb2.Address(
        recipient=address.recipient,
        phone=address.phone,
        country=address.country,
        province=address.province,
        city=address.city,
        district=address.district,
        detail=address.detail,
        postal_code=address.postal_code,
    )


def customer_out(customer: CustomerView) -> customers_pb2.Customer:
    return customers_pb2.Customer(
        customer_id=customer.customer_id,
        kind=kind_to_proto(customer.kind),
        status=_STATUS[customer.status],
        name=customer.name,
        phone=customer.phone,
        email=customer.email,
        tax_id=customer.tax_id,
        address=address_out(customer.address),
        tier=tier_to_proto(customer.tier),
        tags=customer.tags,
        channel=customer.channel,
        pii_masked=customer.pii_masked,
        version=customer.version,
        created_at=timestamp(customer.created_at),
        updated_at=timestamp(customer.updated_at),
        team=customer.team,
    )


def caller_teams() -> tuple[str, ...]:
    """The teams the authenticated caller is limited to (empty: no limit), from its verified token."""
    return current_call.get().teams


def _reasons_out(reasons: tuple) -> list[int]:
    return [customers_pb2.SimilarityReason.Value(f"SIMILARITY_REASON_{r.value}") for r in reasons]


class CustomersServicer(customers_pb2_grpc.CustomersServiceServicer):
    def __init__(
        self, unit_of_work: Callable[[], CustomersUnitOfWork], clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._uow = unit_of_work
        self._clock = clock

    async def UpsertCustomer(
        self, request: customers_pb2.UpsertCustomerRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.UpsertCustomerResponse:
        command = UpsertCustomer(
            request_id=request.request_id,
            name=request.name,
            phone=request.phone,
            email=request.email,
            tax_id=request.tax_id,
            address=address_in(request.address),
            channel=request.channel,
            team=request.team,
            caller_teams=caller_teams(),
        )
        result = await handlers.upsert_customer(command, self._uow(), now=self._clock())
        # The tier is what the rest of the saga's trace branches on; the identity never goes on a span.
        trace.get_current_span().set_attribute(attributes.CUSTOMER_TIER, result.customer.tier.value)
        return customers_pb2.UpsertCustomerResponse(customer=customer_out(result.customer), created=result.created)

    async def GetCustomer(
        self, request: customers_pb2.GetCustomerRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.GetCustomerResponse:
        call = current_call.get()
        subject, role = call.subject, call.role
        # Only a service may read on behalf of someone else; a person's own token decides their viewing
        # rights, so naming a supervisor in the request cannot unmask anything.
        if call.role == SERVICE_ROLE and request.viewer.role:
            subject, role = request.viewer.subject or call.subject, request.viewer.role
        query = GetCustomer(
            customer_id=request.customer_id,
            viewer_subject=subject,
            viewer_role=role,
            purpose=request.purpose,
            caller_teams=call.teams,
        )
        result = await handlers.get_customer(query, self._uow(), now=self._clock())
        return customers_pb2.GetCustomerResponse(
            customer=customer_out(result.customer),
            resolved_from_customer_id=result.resolved_from_customer_id,
            merged_customer_ids=result.merged_customer_ids,
        )

    async def FindSimilarCustomers(
        self, request: customers_pb2.FindSimilarCustomersRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.FindSimilarCustomersResponse:
        subject = request.WhichOneof("subject")
        probe = None
        if subject == "probe":
            p = request.probe
            probe = Probe(name=p.name, phone=p.phone, email=p.email, tax_id=p.tax_id, city=p.city)
        query = FindSimilarCustomers(
            customer_id=request.customer_id if subject == "customer_id" else "",
            probe=probe,
            limit=request.limit,
            caller_teams=caller_teams(),
        )
        result = await handlers.find_similar_customers(query, self._uow())
        return customers_pb2.FindSimilarCustomersResponse(
            candidates=[
                customers_pb2.SimilarCustomer(
                    customer=customer_out(c.customer), score=c.score, reasons=_reasons_out(c.reasons)
                )
                for c in result.candidates
            ]
        )

    async def MergeCustomers(
        self, request: customers_pb2.MergeCustomersRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.MergeCustomersResponse:
        command = MergeCustomers(
            request_id=request.request_id,
            survivor_customer_id=request.survivor_customer_id,
            merged_customer_id=request.merged_customer_id,
            reason=request.reason,
            caller_teams=caller_teams(),
        )
        result = await handlers.merge_customers(command, self._uow(), now=self._clock())
        return customers_pb2.MergeCustomersResponse(
            survivor=customer_out(result.survivor), merged_customer_id=result.merged_customer_id
        )

    async def SetCustomerTier(
        self, request: customers_pb2.SetCustomerTierRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.SetCustomerTierResponse:
        command = SetCustomerTier(
            request_id=request.request_id,
            customer_id=request.customer_id,
            tier=tier_in(request.tier, "tier"),
            reason=request.reason,
            caller_teams=caller_teams(),
        )
        result = await handlers.set_customer_tier(command, self._uow(), now=self._clock())
        return customers_pb2.SetCustomerTierResponse(customer=customer_out(result.customer))

    async def SetCustomerTeam(
        self, request: customers_pb2.SetCustomerTeamRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.SetCustomerTeamResponse:
        command = SetCustomerTeam(
            request_id=request.request_id,
            customer_id=request.customer_id,
            team=request.team,
            reason=request.reason,
            caller_teams=caller_teams(),
        )
        result = await handlers.set_customer_team(command, self._uow(), now=self._clock())
        return customers_pb2.SetCustomerTeamResponse(customer=customer_out(result.customer))

    async def TagCustomer(
        self, request: customers_pb2.TagCustomerRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.TagCustomerResponse:
        command = TagCustomer(request.request_id, request.customer_id, tuple(request.tags), caller_teams())
        result = await handlers.tag_customer(command, self._uow(), now=self._clock())
        return customers_pb2.TagCustomerResponse(customer=customer_out(result.customer))

    async def UntagCustomer(
        self, request: customers_pb2.UntagCustomerRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.UntagCustomerResponse:
        command = UntagCustomer(request.request_id, request.customer_id, tuple(request.tags), caller_teams())
        result = await handlers.untag_customer(command, self._uow(), now=self._clock())
        return customers_pb2.UntagCustomerResponse(customer=customer_out(result.customer))

    async def ListCustomers(
        self, request: customers_pb2.ListCustomersRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.ListCustomersResponse:
        query = ListCustomers(
            page_size=request.page.page_size,
            page_token=request.page.page_token,
            tier=tier_in(request.tier, "tier"),
            tag=request.tag,
            caller_teams=caller_teams(),
        )
        result = await handlers.list_customers(query, self._uow())
        return customers_pb2.ListCustomersResponse(
            customers=[customer_out(c) for c in result.customers],
            page=common_pb2.PageResponse(next_page_token=result.next_page_token),
        )
