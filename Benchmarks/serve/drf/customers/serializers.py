"""Every column of a customer in the table's order (`"__all__"` would put the primary key first), as
DRF's ModelSerializer renders it: dates ISO 8601, ingested_at in the settings' DATETIME_FORMAT
(RFC 3339, UTC, `Z`), attributes as JSON."""

from rest_framework import serializers

from customers.models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [f.name for f in Customer._meta.concrete_fields]
