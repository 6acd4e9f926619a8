"""GET /api/customers/ and /api/customers/<customer_id>/: a read-only viewset with search, filters,
ordering and cursor pagination; token authentication and IsAuthenticated come from the settings."""

from rest_framework import viewsets

from customers.filters import CustomerFilter
from customers.models import Customer
from customers.serializers import CustomerSerializer


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    lookup_field = "customer_id"
    filterset_class = CustomerFilter
    search_fields = ["first_name", "last_name", "company", "email", "city", "country"]
    ordering_fields = ["index", "customer_id", "first_name", "last_name", "company", "city", "country", "email",
                       "subscription_date", "ingested_at"]
    ordering = ["customer_id"]
