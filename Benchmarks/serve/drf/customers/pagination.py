"""DRF's CursorPagination: opaque `?cursor=` links, 50 rows a page by default, `page_size` up to
1000, ordered by the primary key unless `ordering` says otherwise (made total by
customers.filters.TotalOrderingFilter)."""

from rest_framework.pagination import CursorPagination


class CustomerCursorPagination(CursorPagination):
    ordering = "customer_id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
