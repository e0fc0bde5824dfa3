"""A campaign's schedule does not lose its start when the scheduler cannot invoke the dispatcher: it retries
by the stack's policy (declaration.EVENT_TARGET_RETRY) and then leaves the event in the dead-letter queue
the stack gives the schedule managers (SCHEDULER_DLQ_ARN), which an alarm watches."""

from __future__ import annotations

import os

import boto3

from infra.declaration import EVENT_TARGET_RETRY
from tests.support.campaigns import create_campaign, store_contacts


def test_a_started_campaigns_schedule_retries_then_goes_to_the_dead_letter_queue(api, campaigns, admin_token):
    cid = create_campaign(api, admin_token, store_contacts(2),
                          schedule={"run_at": "2030-05-01T09:30:00", "time_zone": "Europe/Prague"})["campaign_id"]
    assert api.call("POST", f"/campaigns/{cid}/start", token=admin_token)[0] == 200

    target = boto3.client("scheduler").get_schedule(Name=f"campaign-{cid}", GroupName="switchboard")["Target"]

    assert target["DeadLetterConfig"] == {"Arn": os.environ["SCHEDULER_DLQ_ARN"]}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": EVENT_TARGET_RETRY.maximum_retry_attempts,
                                     "MaximumEventAgeInSeconds": EVENT_TARGET_RETRY.maximum_event_age_s}
