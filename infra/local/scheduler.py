"""EventBridge Scheduler on this machine. moto stores the schedules campaigns make (group ``switchboard``)
but fires none; this scheduler does: every half second it reads them, and a schedule whose time has come
(``at(...)`` or ``cron(...)`` in its time zone, by ``switchboard.clock``, so a test or a demo that moves the
clock moves the schedules too) invokes its target function with its input, in a thread of its own, as
the scheduler's asynchronous Lambda invocation would. A one-off schedule with ActionAfterCompletion
DELETE is deleted once it has fired; a disabled one is left alone."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.declaration import EVENT_TARGET_RETRY, function
from infra.local.lambdas import invoke
from switchboard import clock
from switchboard.campaigns.schedule import next_fire
from switchboard.clients.scheduler import GROUP

ACCOUNT = "000000000000"
PREFIX = "switchboard"


def target_arn(name: str, region: str = "eu-west-1") -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{PREFIX}-{name}"


def prepare() -> dict[str, str]:
    """The schedule group, and the environment the functions need to make schedules (their target, the
    role the scheduler would assume, and the dead-letter queue and retry policy the stack gives them)."""
    client = boto3.client("scheduler")
    try:
        client.create_schedule_group(Name=GROUP)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConflictException":
            raise
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName=f"{PREFIX}-campaign-schedules-failed")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"SCHEDULER_TARGET_ARN": target_arn("campaign_dispatch", client.meta.region_name),
            "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-scheduler",
            "SCHEDULER_DLQ_ARN": dlq_arn,
            "SCHEDULER_RETRY_ATTEMPTS": str(EVENT_TARGET_RETRY.maximum_retry_attempts),
            "SCHEDULER_MAX_EVENT_AGE_S": str(EVENT_TARGET_RETRY.maximum_event_age_s)}


def _function_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1].removeprefix(f"{PREFIX}-")


class LocalScheduler(threading.Thread):
    def __init__(self, stop: threading.Event, log: Any = print, interval_s: float = 0.5) -> None:
        super().__init__(name="scheduler", daemon=True)
        self.stop_event = stop
        self.log = log
        self.interval_s = interval_s
        self.client = boto3.client("scheduler")
        self.fired: set[tuple[str, str]] = set()  # one-off schedules already fired (name, expression)
        self.cron_from: dict[tuple[str, str], datetime] = {}  # recurring: the last firing (or first sight)
        self.runs: list[threading.Thread] = []

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the scheduler survives a broken call, like AWS's would
                if not self.stop_event.is_set():
                    self.log(f"scheduler: tick failed: {exc!r}")
            self.stop_event.wait(self.interval_s)

    @property
    def busy(self) -> bool:
        self.runs = [run for run in self.runs if run.is_alive()]
        return bool(self.runs)

    def wait(self, timeout: float | None = None) -> None:
        """Until every invocation started so far has returned (tests)."""
        for run in list(self.runs):
            run.join(timeout)

    def tick(self, wait: bool = False) -> list[str]:
        """Fire every schedule that is due now; returns their names."""
        now = clock.now()
        fired: list[str] = []
        for summary in self._schedules():
            try:
                schedule = self.client.get_schedule(Name=summary["Name"], GroupName=GROUP)
            except ClientError:
                continue  # deleted meanwhile
            if schedule.get("State") != "ENABLED":
                continue
            name, expression = schedule["Name"], schedule["ScheduleExpression"]
            time_zone = schedule.get("ScheduleExpressionTimezone") or "UTC"
            key = (name, expression)
            if expression.startswith("at("):
                due = key not in self.fired and next_fire(expression, time_zone, now) is None
            else:
                modified = schedule.get("LastModificationDate")
                offset = now - datetime.now(UTC)  # the clock may have been moved; moto's dates are real
                first = min(now, modified.astimezone(UTC) + offset) if modified else now
                since = self.cron_from.setdefault(key, first)
                upcoming = next_fire(expression, time_zone, since)
                due = upcoming is not None and upcoming <= now
            if not due:
                continue
            self._invoke(schedule["Target"], wait)
            fired.append(name)
            if expression.startswith("at("):
                self.fired.add(key)
                if schedule.get("ActionAfterCompletion") == "DELETE":
                    self._delete_schedule(name)
            else:
                self.cron_from[key] = now
        return fired

    def _schedules(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {"GroupName": GROUP}
        while True:
            try:
                page = self.client.list_schedules(**arguments)
            except ClientError:
                return found
            found.extend(page.get("Schedules", []))
            if not page.get("NextToken"):
                return found
            arguments["NextToken"] = page["NextToken"]

    def _delete_schedule(self, name: str) -> None:
        try:
            self.client.delete_schedule(Name=name, GroupName=GROUP)
        except ClientError:
            pass  # deleted by the function it invoked

    def _invoke(self, target: dict[str, Any], wait: bool) -> None:
        spec = function(_function_name(target["Arn"]))
        payload = json.loads(target.get("Input") or "{}")

        def call() -> None:
            try:
                invoke(spec, payload)
            except Exception as exc:  # noqa: BLE001 - an asynchronous invocation's failure is logged
                self.log(f"scheduler: {spec.name} failed: {exc!r}")

        run = threading.Thread(target=call, name=f"scheduled-{spec.name}", daemon=True)
        run.start()
        self.runs.append(run)
        if wait:
            run.join()
