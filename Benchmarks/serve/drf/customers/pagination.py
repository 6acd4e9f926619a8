"""DRF's CursorPagination with the cursor's position over the whole ordering: opaque `?cursor=`
links, 50 rows a page by default, `page_size` up to 1000, ordered by the primary key unless
`ordering` says otherwise (made total by customers.filters.TotalOrderingFilter).

DRF's own cursor keeps only the first ordering field's value and counts the rows that share it
in an offset capped at 1000 (`offset_cutoff`): `ordering=last_name` over 100,000 customers with a
few dozen last names repeats and skips rows from the second page on. Here the position is every
ordering field's value of the page's last row (JSON in DRF's cursor), and the next page is the
rows after that tuple — a keyset, so the offset is always 0 and each page costs the same.
"""

import json

from django.db.models import Q
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, _reverse_ordering


def after(model, ordering, values) -> Q:
    """The rows that come after `values` in `ordering` (as PostgreSQL sorts: NULLs after every
    value ascending, before every value descending): equal on the first i fields and after on
    field i, for some i. A column that cannot be NULL gets no `IS NULL` branch, which would keep
    PostgreSQL from using its index as a range (`customer_id > $1 OR customer_id IS NULL` is a
    filter over the index from its start)."""
    condition = Q(pk__in=[])
    equal = Q()
    for term, value in zip(ordering, values):
        name, descending = term.lstrip("-"), term.startswith("-")
        nullable = model._meta.get_field(name).null
        if value is None:
            beyond = Q(**{f"{name}__isnull": False}) if descending else None
        elif descending:
            beyond = Q(**{f"{name}__lt": value})
        else:
            beyond = Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True}) if nullable else Q(**{f"{name}__gt": value})
        if beyond is not None:
            condition |= equal & beyond
        equal &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    return condition


class CustomerCursorPagination(CursorPagination):
    ordering = "customer_id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def _get_position_from_instance(self, instance, ordering):
        values = []
        for term in ordering:
            name = term.lstrip("-")
            value = instance[name] if isinstance(instance, dict) else getattr(instance, name)
            values.append(value.isoformat() if hasattr(value, "isoformat") else value)
        return json.dumps(values, separators=(",", ":"))

    def position_values(self, position):
        try:
            values = json.loads(position)
        except ValueError:
            values = None
        if not isinstance(values, list) or len(values) != len(self.ordering):
            raise NotFound(self.invalid_cursor_message)
        return values

    def paginate_queryset(self, queryset, request, view=None):
        """DRF 3.18's CursorPagination.paginate_queryset, but for the filter by the position."""
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None

        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)

        self.cursor = self.decode_cursor(request)
        if self.cursor is None:
            (offset, reverse, current_position) = (0, False, None)
        else:
            (offset, reverse, current_position) = self.cursor

        if reverse:
            queryset = queryset.order_by(*_reverse_ordering(self.ordering))
        else:
            queryset = queryset.order_by(*self.ordering)

        # The rows after the position in the query's order (a reverse cursor's query runs the
        # ordering backwards, so its rows "after" are those before the position).
        if current_position is not None:
            ordering = _reverse_ordering(self.ordering) if reverse else self.ordering
            queryset = queryset.filter(after(queryset.model, ordering, self.position_values(current_position)))

        results = list(queryset[offset:offset + self.page_size + 1])
        self.page = list(results[:self.page_size])

        if len(results) > len(self.page):
            has_following_position = True
            following_position = self._get_position_from_instance(results[-1], self.ordering)
        else:
            has_following_position = False
            following_position = None

        if reverse:
            self.page = list(reversed(self.page))
            self.has_next = (current_position is not None) or (offset > 0)
            self.has_previous = has_following_position
            if self.has_next:
                self.next_position = current_position
            if self.has_previous:
                self.previous_position = following_position
        else:
            self.has_next = has_following_position
            self.has_previous = (current_position is not None) or (offset > 0)
            if self.has_next:
                self.next_position = following_position
            if self.has_previous:
                self.previous_position = current_position

        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True

        return self.page
