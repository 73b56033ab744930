from tradeport.accounts.models import Account, DeviceBinding, IpBinding
from tradeport.audit.services import track

track(Account, module="accounts", exclude=("last_login",), secret=("password",))
track(IpBinding, module="accounts")
track(DeviceBinding, module="accounts", exclude=("token_hash",))
