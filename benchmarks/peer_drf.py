"""Peer: the lookup endpoint as a Django REST framework user writes it, served under WSGI,
over the tables the demo creates.

Idiomatic, not tuned: unmanaged models on the existing tables, a ``Serializer`` for the
request (``EmailField``), ``ModelSerializer``s for the response, an ``APIView``; the
items with ``prefetch_related``, one query for their active cancellation requests, one
for the active carriers. Django's default autocommit; ``CONN_MAX_AGE = 60`` (persistent
connections, as production settings usually have). Money is declared as the text the
table holds on SQLite and typed by the serializer (``DecimalField``), as a user mapping
existing tables would.

``configure(databases)`` must run once per process, before anything else here;
``storage(alias)`` is the storage work of one request for the storage figure;
``application()`` is the WSGI application for the HTTP figure (the database in
``GUEST_ORDERS_BENCH_HTTP_DB``), served by gunicorn.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import django
from django.conf import settings

LOOKUP_PATH = "/users/orders/anonymous/"
ACTIVE = ("waiting", "approved")
DB_VARIABLE = "GUEST_ORDERS_BENCH_HTTP_DB"

_state: dict[str, Any] = {}


def configure(databases: dict[str, dict[str, Any]]) -> None:
    """Django's settings (once per process) and the models, views and URLs."""
    if _state:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only",  # noqa: S106  # not a secret: a local benchmark server
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        TIME_ZONE="UTC",
        DATABASES={
            alias: {"CONN_MAX_AGE": 60, **database} for alias, database in databases.items()
        },
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        MIDDLEWARE=[],
        ROOT_URLCONF=__name__,
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": [],
            "UNAUTHENTICATED_USER": None,
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        },
    )
    django.setup()
    _state.update(_define())


def _define() -> dict[str, Any]:  # the models, serializers and view
    from django.db import models  # noqa: PLC0415  # only once Django is configured
    from django.urls import path  # noqa: PLC0415
    from rest_framework import serializers  # noqa: PLC0415
    from rest_framework.exceptions import ValidationError  # noqa: PLC0415
    from rest_framework.response import Response  # noqa: PLC0415
    from rest_framework.views import APIView  # noqa: PLC0415

    class Order(models.Model):
        pk_ = models.BigIntegerField(primary_key=True, db_column="pk")
        number = models.TextField(unique=True)
        user_email = models.TextField()
        status = models.CharField(max_length=8)
        currency = models.CharField(max_length=3)
        payment_type = models.CharField(max_length=32)
        amount = models.TextField()
        discount_amount = models.TextField()
        shipping_amount = models.TextField()
        refund_amount = models.TextField()
        installment_count = models.IntegerField()
        order_type = models.CharField(max_length=32, null=True)
        tracking_url = models.TextField(null=True)
        tracking_number = models.TextField(null=True)
        invoice_number = models.TextField(null=True)
        has_gift_box = models.BooleanField(null=True)
        gift_box_note = models.TextField(null=True)
        shipping_company_label = models.TextField(null=True)
        bank_name = models.TextField(null=True)
        created_date = models.DateTimeField()
        modified_date = models.DateTimeField()

        class Meta:
            app_label = "peer"
            managed = False
            db_table = "orders"

    class OrderItem(models.Model):
        pk_ = models.BigIntegerField(primary_key=True, db_column="pk")
        order = models.ForeignKey(Order, models.DO_NOTHING, related_name="items")
        position = models.IntegerField()
        status = models.CharField(max_length=8)
        quantity = models.IntegerField()
        price = models.TextField()
        product_pk = models.BigIntegerField()
        product_name = models.TextField()
        product_sku = models.TextField()
        product_image = models.TextField(null=True)
        delivered_date = models.DateTimeField(null=True)

        class Meta:
            app_label = "peer"
            managed = False
            db_table = "order_items"
            ordering = ["position"]

    class CancellationRequest(models.Model):
        id = models.BigAutoField(primary_key=True)
        order_item_id = models.BigIntegerField()
        cancellation_type = models.CharField(max_length=16)
        status = models.CharField(max_length=16)
        quantity = models.IntegerField(null=True)
        created_date = models.DateTimeField()

        class Meta:
            app_label = "peer"
            managed = False
            db_table = "cancellation_requests"

    class Carrier(models.Model):
        pk_ = models.BigIntegerField(primary_key=True, db_column="pk")
        shipping_company_value = models.TextField()
        shipping_company_label = models.TextField()
        is_active = models.BooleanField()

        class Meta:
            app_label = "peer"
            managed = False
            db_table = "easy_return_shipping_companies"
            ordering = ["pk_"]

    class LookupSerializer(serializers.Serializer[Any]):
        number = serializers.CharField(max_length=64)
        email = serializers.EmailField()

    class RequestSerializer(serializers.ModelSerializer[Any]):
        class Meta:
            model = CancellationRequest
            fields = ["id", "cancellation_type", "status", "quantity", "created_date"]

    class ItemSerializer(serializers.ModelSerializer[Any]):
        pk = serializers.IntegerField(source="pk_")
        price = serializers.DecimalField(max_digits=20, decimal_places=2)
        active_request = serializers.SerializerMethodField()

        class Meta:
            model = OrderItem
            fields = [
                "pk",
                "status",
                "quantity",
                "price",
                "product_pk",
                "product_name",
                "product_sku",
                "product_image",
                "delivered_date",
                "active_request",
            ]

        def get_active_request(self, item: Any) -> Any:
            found = self.context["active"].get(item.pk_)
            return None if found is None else RequestSerializer(found).data

    class CarrierSerializer(serializers.ModelSerializer[Any]):
        pk = serializers.IntegerField(source="pk_")

        class Meta:
            model = Carrier
            fields = ["pk", "shipping_company_value", "shipping_company_label"]

    money = {"max_digits": 20, "decimal_places": 2}

    class OrderSerializer(serializers.ModelSerializer[Any]):
        amount = serializers.DecimalField(**money)
        discount_amount = serializers.DecimalField(**money)
        shipping_amount = serializers.DecimalField(**money)
        refund_amount = serializers.DecimalField(**money)
        items = ItemSerializer(many=True)
        easy_return_shipping_companies = serializers.SerializerMethodField()

        class Meta:
            model = Order
            fields = [
                "number",
                "status",
                "currency",
                "payment_type",
                "amount",
                "discount_amount",
                "shipping_amount",
                "refund_amount",
                "installment_count",
                "order_type",
                "tracking_url",
                "tracking_number",
                "invoice_number",
                "has_gift_box",
                "gift_box_note",
                "shipping_company_label",
                "bank_name",
                "created_date",
                "modified_date",
                "items",
                "easy_return_shipping_companies",
            ]

        def get_easy_return_shipping_companies(self, _order: Any) -> Any:
            return CarrierSerializer(self.context["carriers"], many=True).data

    def read_order(alias: str, number: str) -> tuple[Any, list[Any], list[Any]]:
        order = Order.objects.using(alias).prefetch_related("items").filter(number=number).first()
        items = [item.pk_ for item in order.items.all()] if order is not None else []
        requests = list(
            CancellationRequest.objects.using(alias).filter(
                order_item_id__in=items, status__in=ACTIVE
            )
        )
        carriers = list(Carrier.objects.using(alias).filter(is_active=True))
        return order, requests, carriers

    class LookupView(APIView):
        def post(self, request: Any) -> Response:
            query = LookupSerializer(data=request.data)
            query.is_valid(raise_exception=True)
            number, email = query.validated_data["number"], query.validated_data["email"]
            order, requests, carriers = read_order("default", number)
            if order is None or order.user_email.lower() != email.lower():
                raise ValidationError({"non_field_errors": ["No order matches."]})
            context = {"active": {r.order_item_id: r for r in requests}, "carriers": carriers}
            return Response(OrderSerializer([order], many=True, context=context).data)

    globals()["urlpatterns"] = [path(LOOKUP_PATH.lstrip("/"), LookupView.as_view())]
    return {"read_order": read_order}


def storage(alias: str) -> Callable[[str], object]:
    """The storage work of one lookup on the database ``alias``: the three reads."""
    read_order = _state["read_order"]

    def lookup(number: str) -> object:
        order, requests, carriers = read_order(alias, number)
        assert order is not None
        return order, requests, carriers

    return lookup


def application() -> Any:
    """The WSGI application (gunicorn: ``peer_drf:application()``)."""
    configure(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ[DB_VARIABLE]}}
    )
    from django.core.wsgi import get_wsgi_application  # noqa: PLC0415

    return get_wsgi_application()
