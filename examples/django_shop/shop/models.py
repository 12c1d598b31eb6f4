"""The shop's pre-existing models: its own table and field names, two-place money, items
in the order they were created (by pk). Nothing here was changed for guest_orders."""

from __future__ import annotations

import uuid

from django.db import models


class Customer(models.Model):
    is_guest = models.BooleanField(default=False)

    class Meta:
        db_table = "crm_customer"


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    line = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "crm_address"


class Article(models.Model):
    title = models.CharField(max_length=200)
    code = models.CharField(max_length=64)
    picture = models.CharField(max_length=300, null=True, blank=True)  # noqa: DJ001

    class Meta:
        db_table = "catalog_article"


class Purchase(models.Model):
    reference = models.CharField(max_length=64, unique=True)
    buyer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="purchases")
    email = models.CharField(max_length=254)
    state = models.CharField(max_length=3)
    currency = models.CharField(max_length=3, default="TRY")
    payment_method = models.CharField(max_length=8)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_fee = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tracking_code = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "sales_purchase"


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="lines")
    article = models.ForeignKey(Article, on_delete=models.PROTECT)
    state = models.CharField(max_length=3)
    qty = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sales_purchase_line"


class ReturnReason(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    title = models.CharField(max_length=100)
    kind = models.CharField(max_length=6)
    active = models.BooleanField(default=True)
    needs_note = models.BooleanField(default=False)
    sort = models.IntegerField(default=0)

    class Meta:
        db_table = "support_return_reason"


class Carrier(models.Model):
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    easy_return = models.BooleanField(default=False)

    class Meta:
        db_table = "logistics_carrier"
