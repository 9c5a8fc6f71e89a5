"""The busy-port report of `c64ft up`: who holds the port, and what to do."""

import os
import socket

from c64ft.processes import free_port, port_in_use


def test_a_free_port_is_free_and_a_busy_one_names_its_holder():
    assert port_in_use("127.0.0.1", free_port()) is None
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        message = port_in_use("127.0.0.1", port)
    assert message is not None
    assert f"port {port} on 127.0.0.1 is already in use by pid {os.getpid()} (" in message
    assert "pytest" in message and "c64ft up --port " in message
