"""Search, sort and paginate a list page the same way everywhere."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Q


@dataclass
class ListPage:
    page: object
    query: str
    sort: str
    sort_fields: dict

    def querystring(self, **changes) -> str:
        params = {"q": self.query, "sort": self.sort, "page": self.page.number}
        params.update(changes)
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def list_page(request, queryset, *, search_fields=(), sort_fields: dict | None = None,
              default_sort: str = "", extra_filter=None, per_page: int | None = None) -> ListPage:
    """Apply ?q= (icontains over search_fields), ?sort=[-]key from sort_fields, and ?page=."""
    query = request.GET.get("q", "").strip()
    if query and search_fields:
        condition = Q()
        for field in search_fields:
            condition |= Q(**{f"{field}__icontains": query})
        queryset = queryset.filter(condition)
    if extra_filter is not None:
        queryset = extra_filter(queryset)
    sort_fields = sort_fields or {}
    sort = request.GET.get("sort", default_sort)
    key = sort.removeprefix("-")
    if key in sort_fields:
        field = sort_fields[key]
        queryset = queryset.order_by(f"-{field}" if sort.startswith("-") else field, "-pk")
    else:
        sort = default_sort
    size = per_page or getattr(request.user, "page_size", 25) or 25
    paginator = Paginator(queryset, size)
    page = paginator.get_page(request.GET.get("page"))
    return ListPage(page=page, query=query, sort=sort, sort_fields=sort_fields)
