"""DynamoDB access. The only package (with ``aws`` and the channel clients) that touches boto3."""
