"""What a platform adds to weavefn's own reaction time, as the simulator and figures model it.

- A follow-up arrives ``FOLLOW_UP_DELIVERY`` seconds after it is due: the queue's own delay in
  handing a message that has become visible to its function (SQS polled by Lambda's event
  source mapping, a Storage Queue by the Functions host, a Cloud Tasks dispatch; about a
  second, ``QUEUE_DELAY``) plus a cold start (``COLD_START``: import plus first alarm on a
  saved cluster, 0.62 s in the README's start-up table, every delivery charged as cold).
- Alarms use a 10 s period (``ALARM_PERIOD``): CloudWatch high-resolution alarms evaluate every
  10 s; Cloud Monitoring and Azure Monitor have sub-minute options of their own.
- The schedule stays the safety net at its finest period, once a minute.
"""

from __future__ import annotations

QUEUE_DELAY = 1.0
COLD_START = 0.62
FOLLOW_UP_DELIVERY = QUEUE_DELAY + COLD_START
ALARM_PERIOD = 10.0
SCHEDULE_PERIOD = 60.0
