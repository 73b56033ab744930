from tradeport.audit.services import track
from tradeport.system.models import SystemOption

track(SystemOption, module="system", exclude=("updated_at", "updated_by"))
