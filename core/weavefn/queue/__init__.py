"""Fan-out of reconciles: the ReconcileQueue port, its cloud implementations and the factory."""

from weavefn.queue.factory import QUEUE_ENV, queue_from_env
from weavefn.queue.port import ReconcileQueue, enqueue_all, message_body

__all__ = ["QUEUE_ENV", "ReconcileQueue", "enqueue_all", "message_body", "queue_from_env"]
