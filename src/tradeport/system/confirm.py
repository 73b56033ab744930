"""The one confirm-then-delete flow every delete page uses."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render


def confirm_delete(request, *, delete, question: str, cancel_url: str, done_url: str, done_message: str,
                   note: str = "", refused_url: str | None = None):
    """GET: ask. POST: call `delete()`; a refusal (ValidationError) is shown and nothing is deleted."""
    if request.method == "POST":
        try:
            delete()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(refused_url or cancel_url)
        messages.success(request, done_message)
        return redirect(done_url)
    return render(request, "confirm_delete.html", {"question": question, "note": note, "cancel_url": cancel_url})
