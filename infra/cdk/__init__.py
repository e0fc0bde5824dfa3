"""The AWS side of Switchboard: a CDK app built from infra/declaration.py, like the local runtime.

    app.py         entry (`cdk synth`, `cdk deploy`): the stack, cdk-nag's AwsSolutions checks
    stack.py       composes the constructs below
    encryption.py  the customer-managed KMS key
    data.py        DynamoDB tables, the media bucket and its access-log bucket
    queues.py      each declared queue with its dead-letter queue
    events.py      EventBridge rules and schedules of the functions; the Scheduler role and group
    auth.py        the operators' Cognito user pool
    email.py       the SES configuration set and its EventBridge destination
    bindings.py    how each declared resource reaches a function: env var, grant per access level
    functions.py   one Lambda per declared function, its environment and least-privilege grants
    api.py         the REST API built from every function's routes
    monitoring.py  alarms on dead-letter queues and queue age
    nag.py         cdk-nag suppressions, each with its reason
    layer.py       builds build/layer (the shared layer) without Docker
"""
