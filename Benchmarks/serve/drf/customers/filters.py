"""The query parameters of /api/customers/ besides search and the cursor: django-filter's
FilterSet for the exact, `__in` and date-range filters, and an OrderingFilter whose ordering is
always total (customer_id, the primary key, appended), as cursor pagination needs."""

import django_filters
from rest_framework.filters import OrderingFilter

from customers.models import Customer

PRIMARY_KEY = "customer_id"


class CustomerFilter(django_filters.FilterSet):
    class Meta:
        model = Customer
        fields = {
            "country": ["exact", "in"],
            "subscription_date": ["exact", "gte", "lte"],
            "customer_id": ["exact"],
            "index": ["exact"],
            "first_name": ["exact"],
            "last_name": ["exact"],
            "company": ["exact"],
            "city": ["exact"],
            "email": ["exact"],
            "source_file": ["exact"],
        }


class TotalOrderingFilter(OrderingFilter):
    """`ordering=-subscription_date,last_name` → (-subscription_date, last_name, customer_id):
    rows equal on the requested fields keep one order from page to page."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(term.lstrip("-") == PRIMARY_KEY for term in ordering):
            ordering.append(PRIMARY_KEY)
        return ordering
