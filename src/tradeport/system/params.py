"""Ids from query strings and form fields, checked before they reach a query."""

ID_LIMIT = 2**63 - 1  # the largest primary key SQLite and PostgreSQL's bigint hold


def as_id(value) -> int | None:
    """A positive id, or None for anything else: letters, "²", "", or a number no key can have."""
    text = str(value or "")
    if not (text.isascii() and text.isdecimal()):
        return None
    number = int(text)
    return number if 0 < number <= ID_LIMIT else None


def as_ids(values) -> list[int]:
    return [number for number in map(as_id, values) if number is not None]
