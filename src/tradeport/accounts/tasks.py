from django.tasks import task


@task()
def expire_idle_logins() -> int:
    """Free the seats of idle logins and log their timeout (ACC-04)."""
    from tradeport.accounts.services import expire_idle_logins as expire

    return expire()
