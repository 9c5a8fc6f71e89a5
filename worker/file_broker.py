"""The embedded broker: kombu's filesystem transport with messages published atomically.

kombu writes a message file in place, so a consumer polling the folder can move and read it
while it is still empty and crash on the JSON (seen under load when the reaper re-sends a job
as a new worker starts). Here each message is written beside the folder and renamed into it.
"""

import os
import uuid
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "c64ft-files"


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Made on the first connection, not when the Celery app is imported.
        folders = [self.data_folder_in, self.data_folder_out, self.control_folder]
        folders += [self.processed_folder] if self.store_processed else []
        for folder in folders:
            os.makedirs(folder, exist_ok=True)

    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        staging = f"{self.data_folder_out.rstrip(os.sep)}.staging"
        os.makedirs(staging, exist_ok=True)
        temporary = os.path.join(staging, name)
        with open(temporary, "wb") as handle:
            handle.write(str_to_bytes(dumps(payload)))
        os.replace(temporary, os.path.join(self.data_folder_out, name))


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"
