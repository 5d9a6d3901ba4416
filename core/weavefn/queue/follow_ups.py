"""Pick the FollowUpQueue the settings name; no cloud SDK is imported here.

``WEAVEFN_FOLLOWUPS``: ``auto`` (the default) follows the fan-out queue when it can delay a
message (``sqs:`` DelaySeconds, ``azure-queue:`` visibility timeout) and is otherwise off; ``off``;
or a queue of its own: ``sqs:URL``, ``azure-queue:ACCOUNT_URL/NAME``, or
``cloudtasks:projects/P/locations/L/queues/Q`` (Pub/Sub has no delayed delivery), whose tasks
POST to ``WEAVEFN_FOLLOWUP_URL`` with an OIDC token of ``WEAVEFN_FOLLOWUP_SERVICE_ACCOUNT`` for
the audience ``WEAVEFN_OIDC_AUDIENCE`` (the one the HTTP function checks; default: the URL).
On the local cluster, with nothing named, follow-ups are kept beside it (weavefn run).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from weavefn.errors import FieldError, InvalidInputError
from weavefn.queue.factory import QUEUE_ENV, QueueKind, queue_kind

if TYPE_CHECKING:
    from weavefn.queue.port import FollowUpQueue

FOLLOW_UPS_ENV = "WEAVEFN_FOLLOWUPS"
FOLLOW_UP_URL_ENV = "WEAVEFN_FOLLOWUP_URL"
FOLLOW_UP_ACCOUNT_ENV = "WEAVEFN_FOLLOWUP_SERVICE_ACCOUNT"
OIDC_AUDIENCE_ENV = "WEAVEFN_OIDC_AUDIENCE"
FORMS = "auto, off, sqs:QUEUE_URL, azure-queue:ACCOUNT_URL/NAME, cloudtasks:projects/P/locations/L/queues/Q"
_TASKS_QUEUE = re.compile(
    r"^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/locations/[a-z]+-[a-z]+[0-9]+/queues/[A-Za-z0-9-]{1,100}$"
)


class FollowUpKind(StrEnum):
    OFF = "off"
    SQS = "sqs"
    AZURE_QUEUE = "azure-queue"
    CLOUD_TASKS = "cloudtasks"


_DELAYING = {QueueKind.SQS: FollowUpKind.SQS, QueueKind.AZURE_QUEUE: FollowUpKind.AZURE_QUEUE}


@dataclass(frozen=True)
class FollowUpSetting:
    """Where follow-ups go: the kind, its queue, and for Cloud Tasks the target and identity."""

    kind: FollowUpKind = FollowUpKind.OFF
    queue: str = ""
    url: str = ""
    service_account: str = ""
    audience: str = ""


def _error(path: str, message: str) -> InvalidInputError:
    return InvalidInputError([FieldError(path, message)], what="follow-up setting")


def follow_up_setting(env: Mapping[str, str]) -> FollowUpSetting:
    """Read and check the follow-up settings; InvalidInputError naming the variable if wrong."""
    text = env.get(FOLLOW_UPS_ENV, "").strip()
    if text in ("", "auto"):
        kind, value = queue_kind(env.get(QUEUE_ENV, ""))
        delayed = _DELAYING.get(kind)  # the fan-out queue, when it can delay a message
        return FollowUpSetting(delayed, value) if delayed else FollowUpSetting()
    if text == FollowUpKind.OFF:
        return FollowUpSetting()
    scheme, colon, rest = text.partition(":")
    if scheme == FollowUpKind.CLOUD_TASKS and colon:
        return _cloud_tasks(rest, env)
    if scheme in (FollowUpKind.SQS, FollowUpKind.AZURE_QUEUE) and colon and rest:
        return FollowUpSetting(FollowUpKind(scheme), rest)
    if text.startswith("https://sqs.") or ".queue.amazonaws.com/" in text:
        return FollowUpSetting(FollowUpKind.SQS, text)
    raise _error(FOLLOW_UPS_ENV, f"unknown follow-up setting: use one of {FORMS}")


def _cloud_tasks(queue: str, env: Mapping[str, str]) -> FollowUpSetting:
    if not _TASKS_QUEUE.match(queue):
        raise _error(
            FOLLOW_UPS_ENV, "cloudtasks: needs projects/PROJECT/locations/REGION/queues/QUEUE"
        )
    url = env.get(FOLLOW_UP_URL_ENV, "").strip()
    account = env.get(FOLLOW_UP_ACCOUNT_ENV, "").strip()
    errors = []
    if not url.startswith("https://"):
        errors.append(
            FieldError(FOLLOW_UP_URL_ENV, "cloudtasks needs the HTTPS URL of the /followup route")
        )
    if "@" not in account:
        errors.append(
            FieldError(
                FOLLOW_UP_ACCOUNT_ENV,
                "cloudtasks needs the service account email its OIDC token names",
            )
        )
    if errors:
        raise InvalidInputError(errors, what="follow-up setting")
    audience = env.get(OIDC_AUDIENCE_ENV, "").strip() or url
    return FollowUpSetting(FollowUpKind.CLOUD_TASKS, queue, url, account, audience)


def follow_up_queue(setting: FollowUpSetting) -> FollowUpQueue | None:
    """The queue ``setting`` names (its SDK loads with its first message); None when off."""
    if setting.kind is FollowUpKind.SQS:
        from weavefn.queue.sqs import SqsQueue

        return SqsQueue(setting.queue)
    if setting.kind is FollowUpKind.AZURE_QUEUE:
        from weavefn.queue.storage_queue import CONNECTION_STRING_ENV, StorageQueue

        return StorageQueue(
            setting.queue, connection_string=os.environ.get(CONNECTION_STRING_ENV) or None
        )
    if setting.kind is FollowUpKind.CLOUD_TASKS:
        from weavefn.queue.cloud_tasks import CloudTasksQueue

        return CloudTasksQueue(
            setting.queue,
            url=setting.url,
            service_account=setting.service_account,
            audience=setting.audience,
        )
    return None
