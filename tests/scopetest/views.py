from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from scopetest.models import Note


@login_required
def note_detail(request, pk):
    note = get_object_or_404(Note.objects.visible_to(request.user), pk=pk)
    return HttpResponse(note.text)
