"""Response headers and cookie flags that depend on how the request arrived."""



class SecureCookiesMiddleware:
    """Every cookie set on an HTTPS request is marked Secure, so a session that began over TLS is never
    sent in clear text, without a setting to remember. Sits outside the session and CSRF middleware,
    which set their cookies on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
