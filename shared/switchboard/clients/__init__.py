"""Clients of the services around us (SQS, EventBridge, S3, the Graph API, SES): the bottom layer."""
