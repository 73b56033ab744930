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
    capped: bool = False

    def querystring(self, **changes) -> str:
        params = {"q": self.query, "sort": self.sort, "page": self.page.number}
        params.update(changes)
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def list_page(request, queryset, *, search_fields=(), sort_fields: dict | None = None,
              default_sort: str = "", extra_filter=None, per_page: int | None = None,
              id_cap: int | None = None) -> ListPage:
    """Apply ?q= (icontains over search_fields), ?sort=[-]key from sort_fields, and ?page=.

    With `id_cap`, the matching ids (at most id_cap) are read in one query and the
    page's rows fetched by id: one scan instead of a COUNT and a page query, for
    filters that cannot use an index (substring search).
    """
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
    if id_cap:
        ids = list(queryset.values_list("pk", flat=True)[: id_cap + 1])
        capped = len(ids) > id_cap
        page = Paginator(ids[:id_cap], size).get_page(request.GET.get("page"))
        rows = {row.pk: row for row in queryset.filter(pk__in=list(page.object_list))}
        page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
        return ListPage(page=page, query=query, sort=sort, sort_fields=sort_fields, capped=capped)
    paginator = Paginator(queryset, size)
    page = paginator.get_page(request.GET.get("page"))
    return ListPage(page=page, query=query, sort=sort, sort_fields=sort_fields)
