"""Where the shop keeps what guest_orders needs: the mapping, most of its guest_orders code."""

from guest_orders import CustomerKind, PaymentType
from guest_orders.contrib.django.mapping import ModelMap, StoreMapping

MAPPING = StoreMapping(
    order=ModelMap(
        "shop.Purchase",
        fields={
            "number": "reference", "user_email": "email", "status": "state",
            "customer.id": "buyer", "customer.kind": "buyer__is_guest",
            "payment_type": "payment_method", "amount": "total", "discount_amount": "discount",
            "shipping_amount": "shipping_fee", "refund_amount": "refunded",
            "tracking_number": "tracking_code",
            "created_date": "created_at", "modified_date": "updated_at",
        },
        values={
            "customer.kind": {CustomerKind.GUEST: True, CustomerKind.REGISTERED: False},
            "payment_type": {
                PaymentType.CREDIT_CARD: "card", PaymentType.FUNDS_TRANSFER: "transfer",
                PaymentType.PAY_ON_DELIVERY: "cod", PaymentType.LOYALTY_MONEY: "loyalty",
                PaymentType.OTHER: "other",
            },
        },
        only_named=True,
    ),
    item=ModelMap(
        "shop.PurchaseLine",
        fields={
            "order": "purchase", "status": "state", "quantity": "qty", "price": "unit_price",
            "product.pk": "article", "product.name": "article__title",
            "product.sku": "article__code", "product.image": "article__picture",
            "delivered_date": "delivered_at",
        },
    ),
    reason=ModelMap(
        "shop.ReturnReason",
        fields={
            "subject": "title", "cancellation_type": "kind", "is_active": "active",
            "extra_information_needed": "needs_note", "order": "sort",
        },
        only_named=True,
    ),
    carrier=ModelMap(
        "shop.Carrier",
        fields={
            "shipping_company.value": "code", "shipping_company.label": "name",
            "is_active": "easy_return",
        },
    ),
    address=ModelMap("shop.Address"),
)  # fmt: skip
