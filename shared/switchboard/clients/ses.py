"""Amazon SES v2: sending a raw MIME message (the only way to set In-Reply-To and References)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from switchboard import aws

# Errors that a later attempt may not meet (throttling, SES having a bad moment).
_RETRYABLE = {"TooManyRequestsException", "LimitExceededException", "InternalFailure", "ServiceUnavailable",
              "Throttling", "ThrottlingException"}


class SesRefused(Exception):
    """SES did not accept the message; ``retryable`` says whether sending again may work."""

    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable


class SesClient:
    def __init__(self, configuration_set: str | None = None) -> None:
        self.configuration_set = configuration_set

    def send_raw(self, raw: bytes, sender: str, recipients: list[str], tags: dict[str, str]) -> str:
        """Send and return SES's MessageId (the bare id; the Message-ID header becomes
        ``<id>@<region>.amazonses.com``)."""
        request: dict = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": recipients},
            "Content": {"Raw": {"Data": raw}},
            "EmailTags": [{"Name": name, "Value": value} for name, value in tags.items()],
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            return str(aws.client("sesv2").send_email(**request)["MessageId"])
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            raise SesRefused(code, str(error.get("Message", "")), code in _RETRYABLE) from exc
        except BotoCoreError as exc:
            raise SesRefused("ConnectionError", str(exc), True) from exc

    @staticmethod
    def region() -> str:
        return str(aws.client("sesv2").meta.region_name)
