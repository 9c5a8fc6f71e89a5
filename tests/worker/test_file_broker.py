"""The embedded broker never shows a consumer a message that is still being written."""

import threading
import uuid

from kombu import Connection, Exchange, Queue

from worker import file_broker


def test_messages_published_while_a_consumer_polls_always_parse(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),
        "polling_interval": 0,
    }
    (tmp_path / "control").mkdir()
    # A name of its own: kombu keeps exchange bindings per process, and a job queued on "cpu"
    # by an earlier in-process test would otherwise be bound to another folder.
    name = f"broker-test-{uuid.uuid4().hex}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    payloads = [{"n": n, "text": "x" * 50_000} for n in range(200)]
    received = []
    url = f"{file_broker.SCHEME}://"
    with (
        Connection(url, transport_options=options) as producer_side,
        Connection(url, transport_options=options) as consumer_side,
    ):
        producer = producer_side.Producer()
        sender = threading.Thread(
            target=lambda: [
                producer.publish(p, exchange=queue.exchange, routing_key=name, declare=[queue])
                for p in payloads
            ]
        )
        # The queue is bound before anyone publishes, as the worker does at start: two
        # connections binding it at once can race in kombu's exchange file (not what this tests).
        simple = consumer_side.SimpleQueue(queue)
        sender.start()
        while len(received) < len(payloads):
            message = simple.get(timeout=10)  # a half-written file would raise here
            received.append(message.payload["n"])
            message.ack()
        sender.join()
        simple.close()
    assert sorted(received) == list(range(200))
    assert not any((tmp_path / "queue.staging").iterdir())
