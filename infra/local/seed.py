"""The demo tenant: a WhatsApp channel whose ids and secrets come from the environment (defaults shown
in the README), with its credentials in Secrets Manager as in AWS."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import boto3

from switchboard.domain.channels import Channel
from switchboard.services import services

DEMO_TENANT = "demo"


@dataclass(frozen=True)
class DemoSettings:
    phone_number_id: str
    display_phone_number: str
    waba_id: str
    app_secret: str
    verify_token: str
    access_token: str
    mailbox: str = "support@demo.switchboard.local"
    mailgun_signing_key: str = "demo-mailgun-signing-key"
    country: str | None = "CZ"  # the tenant's default country: "777 123 456" is +420777123456

    @classmethod
    def from_env(cls) -> DemoSettings:
        env = os.environ.get
        return cls(
            phone_number_id=env("SWITCHBOARD_DEMO_PHONE_NUMBER_ID", "106540352242922"),
            display_phone_number=env("SWITCHBOARD_DEMO_DISPLAY_PHONE_NUMBER", "15550783881"),
            waba_id=env("SWITCHBOARD_DEMO_WABA_ID", "102290129340398"),
            app_secret=env("SWITCHBOARD_DEMO_APP_SECRET", "demo-app-secret"),
            verify_token=env("SWITCHBOARD_DEMO_VERIFY_TOKEN", "demo-verify-token"),
            access_token=env("SWITCHBOARD_DEMO_ACCESS_TOKEN", "demo-access-token"),
            mailbox=env("SWITCHBOARD_DEMO_MAILBOX", "support@demo.switchboard.local"),
            mailgun_signing_key=env("SWITCHBOARD_DEMO_MAILGUN_KEY", "demo-mailgun-signing-key"),
            country=env("SWITCHBOARD_DEMO_COUNTRY", "CZ") or None,
        )


def whatsapp_channel(tenant_id: str, channel_id: str, phone_number_id: str, waba_id: str,
                     app_secret: str, verify_token: str, access_token: str,
                     display_phone_number: str = "15550783881", may_write_first: bool = True) -> Channel:
    """Create a WhatsApp channel with its secret, as an admin's channel setup would."""
    secret_name = f"{services().settings.secrets_prefix}{tenant_id}/{channel_id}"
    boto3.client("secretsmanager").create_secret(Name=secret_name, SecretString=json.dumps(
        {"access_token": access_token, "app_secret": app_secret, "verify_token": verify_token}))
    channel = Channel(tenant_id=tenant_id, channel_id=channel_id, kind="whatsapp", name="WhatsApp",
                      secret_name=secret_name, phone_number_id=phone_number_id,
                      display_phone_number=display_phone_number, waba_id=waba_id,
                      may_write_first=may_write_first)
    services().channels.save(channel, verify_token=verify_token)
    return channel


def mailbox_channel(tenant_id: str, channel_id: str, address: str, mailgun_signing_key: str,
                    name: str = "Support mailbox") -> Channel:
    """Create a mailbox with its secret (the Mailgun webhook signing key) and verify its address as an
    SES identity (moto's SES refuses to send from an unverified one, as SES does)."""
    secret_name = f"{services().settings.secrets_prefix}{tenant_id}/{channel_id}"
    boto3.client("secretsmanager").create_secret(Name=secret_name, SecretString=json.dumps(
        {"mailgun_signing_key": mailgun_signing_key}))
    boto3.client("sesv2").create_email_identity(EmailIdentity=address)
    channel = Channel(tenant_id=tenant_id, channel_id=channel_id, kind="email", name=name,
                      secret_name=secret_name, address=address, may_write_first=True)
    services().channels.save(channel)
    return channel


def seed_demo(settings: DemoSettings) -> list[Channel]:
    services().tenants.set_default_country(DEMO_TENANT, settings.country)
    channels = [whatsapp_channel(DEMO_TENANT, "wa-demo", settings.phone_number_id, settings.waba_id,
                                 settings.app_secret, settings.verify_token, settings.access_token,
                                 settings.display_phone_number)]
    channels.append(mailbox_channel(DEMO_TENANT, "mail-demo", settings.mailbox, settings.mailgun_signing_key))
    # More WhatsApp numbers of the demo tenant (same secrets): "channel_id=phone_number_id/waba_id,..."
    for spec in filter(None, os.environ.get("SWITCHBOARD_DEMO_EXTRA_WHATSAPP_CHANNELS", "").split(",")):
        channel_id, _, numbers = spec.strip().partition("=")
        phone_number_id, _, waba_id = numbers.partition("/")
        channels.append(whatsapp_channel(DEMO_TENANT, channel_id, phone_number_id, waba_id, settings.app_secret,
                                         f"{settings.verify_token}-{channel_id}", settings.access_token))
    return channels
