from tradeport.accounts.functions import MODULES


def navigation(request):
    """The function-module menu (GEN-01): only what the user may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def menu():
        granted = user.get_all_permissions()
        modules = []
        for module in MODULES:
            entries = [f for f in module.functions if user.is_superuser or f.perm in granted]
            if entries:
                modules.append({"module": module, "functions": entries})
        return modules

    return {"nav_modules": menu}
