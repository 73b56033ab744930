from django.urls import include, path

from scopetest.views import note_detail
from tradeport.urls import urlpatterns as tradeport_urls

urlpatterns = [
    path("scopetest/notes/<int:pk>/", note_detail, name="note_detail"),
    path("", include(tradeport_urls)),
]
