from tradeport.accounts.network import client_ip
from tradeport.audit.context import Actor, reset_actor, set_actor


class AuditContextMiddleware:
    """Makes the requesting account and address the actor of every log row."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = Actor(user.pk, user.get_username(), client_ip(request))
        else:
            actor = Actor(None, "anonymous", client_ip(request))
        token = set_actor(actor)
        try:
            return self.get_response(request)
        finally:
            reset_actor(token)
