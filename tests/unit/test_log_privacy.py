"""Logs carry no PII: a WhatsApp message goes through webhook_receipt and contact_resolution (also on a
failing first attempt, whose error is logged) with every function logger at DEBUG, and nothing written
to stdout or stderr contains the sender's phone number, name or the message text."""

from __future__ import annotations

import io
import logging

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from infra.local.lambdas import handler_module
from tests.support.whatsapp import envelope, signed, text_message

PHONE_DIGITS, NAME, TEXT = "420608112233", "Zdenka Privatova", "please deliver to Vinohradska 12, flat 4"
SERVICES = ["webhook_receipt", "contact_resolution"]


@pytest.fixture
def logs():  # noqa: ANN201
    """What the two functions' Powertools loggers write, formatted by their own JSON formatter, at DEBUG
    for the test (then back as it was)."""
    stream = io.StringIO()
    powertools = [handler_module(name).logger for name in SERVICES]
    loggers = [logger._logger for logger in powertools]  # noqa: SLF001 - the stdlib logger it writes through
    levels = [logger.level for logger in loggers]
    handlers = []
    for logger in loggers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logger.handlers[0].formatter if logger.handlers else None)
        logger.addHandler(handler)
        handlers.append(handler)
        logger.setLevel(logging.DEBUG)
    yield stream
    for logger, level, handler in zip(loggers, levels, handlers, strict=True):
        logger.setLevel(level)
        logger.removeHandler(handler)


def _assert_private(output: str) -> None:
    compact = output.replace(" ", "")
    for secret in (PHONE_DIGITS, "+" + PHONE_DIGITS, NAME, TEXT, "Vinohradska"):
        assert secret.replace(" ", "") not in compact, f"{secret!r} leaked into the logs"


def test_a_message_through_receipt_and_resolution_logs_no_pii(api, demo, process_inbound, operator_token,
                                                              capfd, logs) -> None:
    raw, headers = signed(envelope([text_message(sender=PHONE_DIGITS, name=NAME, body=TEXT, wamid="wamid.PII1")]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    assert process_inbound() == 1
    assert api.call("GET", "/sessions", token=operator_token)[1]["items"][0]["last_message"]["text"] == TEXT

    output = "".join(capfd.readouterr()) + logs.getvalue()
    assert '"service":"contact_resolution"' in output.replace(" ", "")  # the logs were captured
    _assert_private(output)


def test_a_failing_first_attempt_logs_its_error_without_pii(api, demo, process_inbound, capfd, logs,
                                                            monkeypatch, caplog) -> None:
    real = BaseClient._make_api_call
    failures: list[str] = []

    def throttled_once(self, operation, params):  # noqa: ANN001, ANN202
        if operation == "TransactWriteItems" and not failures:
            failures.append(operation)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                         "Message": "injected"}}, operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttled_once)
    caplog.set_level(logging.DEBUG)
    raw, headers = signed(envelope([text_message(sender=PHONE_DIGITS, name=NAME, body=TEXT, wamid="wamid.PII2")]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()

    # Every logger of ours and of Powertools (the AWS SDK's wire-level DEBUG logs are off in Lambda).
    ours = [r.getMessage() + str(r.exc_info or "") for r in caplog.records
            if not r.name.startswith(("botocore", "boto3", "urllib3", "moto", "s3transfer"))]
    output = "".join(capfd.readouterr()) + logs.getvalue() + "\n".join(ours)
    assert failures and "batch failed" in output  # the failure itself is logged
    _assert_private(output)
